/**
 * Turns the address of a `stats socket` line into something stapled can
 * connect to, following HAProxy 2.6's `str2sa_range()` forms.
 *
 * @module
 */

/** Where a stats socket listens, as stapled would connect to it. */
export type StatsSocketTarget =
  | { transport: "unix"; path: string }
  | { transport: "tcp"; hostname: string; port: number };

/** A connectable target, or why the address cannot be used. */
export type ParsedSocketAddress =
  | { ok: true; target: StatsSocketTarget }
  | { ok: false; reason: string };

const PREFIX_REGEXP = /^([a-z0-9]+)@/;
const PORT_REGEXP = /^[0-9]+$/;
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
 * import { parseSocketAddress } from "./parse_socket_address.ts";
 * parseSocketAddress("/run/haproxy/admin.sock"); // unix, /run/haproxy/admin.sock
 * parseSocketAddress("ipv6@[::1]:9999"); // tcp, ::1, 9999
 * parseSocketAddress(":9999"); // tcp, 127.0.0.1, 9999
 * ```
 */
export function parseSocketAddress(address: string): ParsedSocketAddress {
  const prefix = PREFIX_REGEXP.exec(address)?.[1];
  const rest = prefix === undefined ? address : address.slice(prefix.length + 1);
  if (
    prefix !== undefined && UNIX_PREFIXES.has(prefix) ||
    prefix === undefined && rest.startsWith("/")
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
