/**
 * Where a HAProxy runtime API (stats socket) listens: a unix socket path or a
 * TCP host and port, read from HAProxy's own address syntax (HAProxy 2.6's
 * `str2sa_range()` forms, as in `stats socket` lines and `-s` arguments), and
 * named in one short string for logs, errors and map keys.
 *
 * @module
 */
import { ConfigError } from "../errors/mod.ts";

/** A HAProxy stats socket: a unix socket path, or a TCP host and port. */
export type HaproxySocketAddress =
  | { transport: "unix"; path: string }
  | { transport: "tcp"; hostname: string; port: number };

/** A connectable address, or why the text cannot be used. */
export type ParsedSocketAddress =
  | { ok: true; target: HaproxySocketAddress }
  | { ok: false; reason: string };

const PREFIX_REGEXP = /^([a-z0-9]+)@/;
const PORT_REGEXP = /^[0-9]+$/;
const IPV4_REGEXP = /^[0-9.]+$/;
const UNIX_PREFIXES = new Set(["unix", "uxst"]);
const TCP_PREFIXES: Record<string, "any" | "v4" | "v6"> = {
  ipv4: "v4",
  tcp4: "v4",
  ipv6: "v6",
  tcp6: "v6",
  tcp: "any",
};
const UNSUPPORTED_PREFIXES = new Set([
  "abns",
  "fd",
  "sockpair",
  "uxdg",
  "udp",
  "udp4",
  "udp6",
  "quic4",
  "quic6",
]);

/**
 * Parses a stats socket address: a path starting with `/` or `unix@<path>`
 * (a UNIX socket; the path is returned as written, relative or not), or
 * `[ipv4@|ipv6@|tcp@]<host>:<port>` (TCP; IPv6 as `[addr]:port` or
 * `addr:port`, the port after the last colon). An empty host, `*`,
 * `0.0.0.0` and `::` mean all addresses; stapled then connects to
 * `127.0.0.1` (or `::1` for IPv6). `abns@`, `fd@`, `sockpair@` and UDP/QUIC
 * forms are refused, as are port ranges and ports outside 1-65535.
 *
 * @param address The word after `stats socket`.
 * @returns The target, or the reason it cannot be used.
 * @throws Never.
 *
 * @example Forms
 * ```ts
 * parseSocketAddress("/run/haproxy/admin.sock"); // unix, /run/haproxy/admin.sock
 * parseSocketAddress("ipv6@[::1]:9999"); // tcp, ::1, 9999
 * parseSocketAddress(":9999"); // tcp, 127.0.0.1, 9999
 * ```
 */
export function readSocketAddress(address: string): ParsedSocketAddress {
  const prefix = PREFIX_REGEXP.exec(address)?.[1];
  const rest = prefix === undefined ? address : address.slice(prefix.length + 1);
  if (
    prefix !== undefined && UNIX_PREFIXES.has(prefix) ||
    prefix === undefined && (rest.includes("/") || !(rest.includes(":") || IPV4_REGEXP.test(rest)))
  ) {
    if (!rest) return { ok: false, reason: `missing socket path in '${address}'` };
    return { ok: true, target: { transport: "unix", path: rest } };
  }
  if (prefix !== undefined && UNSUPPORTED_PREFIXES.has(prefix)) {
    return { ok: false, reason: `stapled cannot connect to '${prefix}@' sockets ('${address}')` };
  }
  if (prefix !== undefined && !Object.hasOwn(TCP_PREFIXES, prefix)) {
    return { ok: false, reason: `unknown address prefix '${prefix}@' in '${address}'` };
  }
  const family = prefix === undefined ? "any" : TCP_PREFIXES[prefix];
  return parseHostPort(address, rest, family);
}

function parseHostPort(
  address: string,
  rest: string,
  family: "any" | "v4" | "v6",
): ParsedSocketAddress {
  const colon = rest.lastIndexOf(":");
  if (colon < 0) return { ok: false, reason: `missing port in '${address}'` };
  let host = rest.slice(0, colon);
  const portText = rest.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (portText.includes("-")) {
    return { ok: false, reason: `port ranges are not allowed for a stats socket ('${address}')` };
  }
  const port = PORT_REGEXP.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    return { ok: false, reason: `invalid port '${portText}' in '${address}'` };
  }
  const v6 = family === "v6" || host.includes(":");
  if (host === "" || host === "*") host = v6 ? "::1" : "127.0.0.1";
  else if (host === "0.0.0.0") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  return { ok: true, target: { transport: "tcp", hostname: host, port } };
}

/**
 * Parses a socket address given by the operator (`-s`), throwing when it
 * cannot be used.
 *
 * @param text The address text.
 * @returns The address.
 * @throws {ConfigError} For an empty text, a bad port, or a family Deno cannot
 *   connect to (`abns@`, `fd@`, `udp@`, ...).
 *
 * @example
 * ```ts
 * parseSocketAddress("ipv4@127.0.0.1:9999"); // { transport: "tcp", hostname: "127.0.0.1", port: 9999 }
 * ```
 */
export function parseSocketAddress(text: string): HaproxySocketAddress {
  const parsed = readSocketAddress(text);
  if (!parsed.ok) {
    throw new ConfigError("", `Cannot use HAProxy socket '${text}': ${parsed.reason}`);
  }
  return parsed.target;
}

/**
 * Names an address in one string: the path of a unix socket, `host:port`
 * (`[host]:port` for IPv6) of a TCP one. Used in logs, in errors' `file`, and
 * as the key that tells sockets apart.
 *
 * @param address The address.
 * @returns Its name.
 *
 * @example Name a TCP socket
 * ```ts
 * formatSocketAddress({ transport: "tcp", hostname: "::1", port: 9999 }); // "[::1]:9999"
 * ```
 */
export function formatSocketAddress(address: HaproxySocketAddress): string {
  if (address.transport === "unix") return address.path;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}
