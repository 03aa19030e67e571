/**
 * Where a HAProxy runtime API (stats socket) listens: a unix socket path or a
 * TCP host and port, parsed from HAProxy's own `stats socket` address syntax
 * and named in one short string for logs, errors and map keys.
 *
 * @module
 */
import { ConfigError } from "../../errors/mod.ts";

/** A HAProxy stats socket: a unix socket path, or a TCP host and port. */
export type HaproxySocketAddress =
  | { transport: "unix"; path: string }
  | { transport: "tcp"; hostname: string; port: number };

const FAMILY_PREFIX_REGEXP = /^(unix|ipv4|ipv6|abns|fd|sockpair|udp[46]?|quic[46]?)@(.*)$/;
const BRACKETED_HOST_REGEXP = /^\[([^\]]*)\]:(.*)$/;
const PORT_REGEXP = /^\d{1,5}$/;

/**
 * Parses an address as HAProxy's `stats socket` line writes it: a path
 * (`/run/haproxy/admin.sock`, `unix@admin.sock`), or a TCP address
 * (`ipv4@127.0.0.1:9999`, `ipv6@::1:9999`, `[::1]:9999`, `127.0.0.1:9999`).
 * A text with a `/` or without a `:` is a path, as in HAProxy.
 *
 * @param text The address text.
 * @returns The address.
 * @throws {ConfigError} For an empty text, a TCP address without a valid
 *   port, or a family Deno cannot connect to (`abns@`, `fd@`, `udp@`, ...).
 *
 * @example Parse a unix path and a TCP address
 * ```ts
 * parseSocketAddress("/run/haproxy/admin.sock"); // { transport: "unix", path: "/run/haproxy/admin.sock" }
 * parseSocketAddress("ipv4@127.0.0.1:9999"); // { transport: "tcp", hostname: "127.0.0.1", port: 9999 }
 * ```
 */
export function parseSocketAddress(text: string): HaproxySocketAddress {
  const family = FAMILY_PREFIX_REGEXP.exec(text);
  const [prefix, rest] = family ? [family[1], family[2]] : ["", text];
  if (rest === "") throw new ConfigError("", `Cannot use HAProxy socket '${text}': it is empty`);
  switch (prefix) {
    case "unix":
      return { transport: "unix", path: rest };
    case "ipv4":
      return tcpAddress(text, rest, "127.0.0.1");
    case "ipv6":
      return tcpAddress(text, rest, "::1");
    case "":
      if (rest.includes("/") || !rest.includes(":")) return { transport: "unix", path: rest };
      return tcpAddress(text, rest, "127.0.0.1");
    default:
      throw new ConfigError(
        "",
        `Cannot use HAProxy socket '${text}': stapled connects to unix paths and TCP addresses only`,
      );
  }
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

/**
 * Splits `host:port` or `[host]:port`; the port is after the last `:`, so
 * `ipv6@::1:9999` works as in HAProxy. An empty or `*` host (HAProxy's "all
 * addresses") is reached through loopback.
 */
function tcpAddress(text: string, rest: string, loopback: string): HaproxySocketAddress {
  const bracketed = BRACKETED_HOST_REGEXP.exec(rest);
  const colon = rest.lastIndexOf(":");
  const [host, portText] = bracketed
    ? [bracketed[1], bracketed[2]]
    : [rest.slice(0, colon), rest.slice(colon + 1)];
  const port = Number(portText);
  if (colon < 0 || !PORT_REGEXP.test(portText) || port < 1 || port > 65535) {
    throw new ConfigError("", `Cannot use HAProxy socket '${text}': expected <host>:<port>`);
  }
  return { transport: "tcp", hostname: host === "" || host === "*" ? loopback : host, port };
}
