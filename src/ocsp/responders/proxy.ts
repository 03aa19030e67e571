/**
 * Which forward proxy a responder's requests go through: an explicit proxy
 * URL (a future `--ocsp-proxy`) wins over `HTTP_PROXY` / `HTTPS_PROXY` /
 * `ALL_PROXY` (lowercase first, as curl), and `NO_PROXY` exempts hosts as
 * curl does: `*` for all, a domain for itself and its subdomains (a leading
 * `.` or `*.` ignored), `host:port` for that port only, IP addresses and CIDR
 * ranges compared as addresses (no DNS lookups). `NO_PROXY` applies to the
 * explicit proxy too, as it does for curl's `--proxy`.
 *
 * @module
 */

/** Proxy settings, as read from the environment or given. */
export interface ProxySettings {
  /** For http:// responders. */
  httpProxy?: string;
  /** For https:// responders. */
  httpsProxy?: string;
  /** For either, when the scheme's own is unset. */
  allProxy?: string;
  /** Hosts never proxied (curl's syntax). */
  noProxy?: string;
  /** A proxy for every scheme that wins over the three above (`--ocsp-proxy`). */
  explicit?: string;
}

/**
 * Reads the proxy variables, lowercase before uppercase; without
 * `--allow-env` for them, none.
 *
 * @param get Reads one variable. @default Deno.env.get
 * @returns The settings found.
 *
 * @example From a given environment
 * ```ts
 * import { proxySettingsFromEnv } from "./proxy.ts";
 *
 * const env: Record<string, string> = { HTTP_PROXY: "http://proxy.test:3128", no_proxy: "internal.test" };
 * const settings = proxySettingsFromEnv((name) => env[name]);
 * console.assert(settings.httpProxy === "http://proxy.test:3128" && settings.noProxy === "internal.test");
 * ```
 */
export function proxySettingsFromEnv(
  get: (name: string) => string | undefined = readEnv,
): ProxySettings {
  const read = (name: string) => {
    const value = get(name.toLowerCase()) ?? get(name.toUpperCase());
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const settings: ProxySettings = {};
  const httpProxy = read("http_proxy");
  const httpsProxy = read("https_proxy");
  const allProxy = read("all_proxy");
  const noProxy = read("no_proxy");
  if (httpProxy !== undefined) settings.httpProxy = httpProxy;
  if (httpsProxy !== undefined) settings.httpsProxy = httpsProxy;
  if (allProxy !== undefined) settings.allProxy = allProxy;
  if (noProxy !== undefined) settings.noProxy = noProxy;
  return settings;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env for it
  }
}

/**
 * The proxy for a responder URL, or undefined to connect directly. A proxy
 * given without a scheme is `http://` (as curl).
 *
 * @param url The responder URL.
 * @param settings The proxy settings.
 * @returns The proxy URL, or undefined.
 *
 * @example The explicit proxy wins, NO_PROXY exempts
 * ```ts
 * import { proxyFor } from "./proxy.ts";
 *
 * const settings = { httpProxy: "http://env.test:3128", explicit: "proxy.test:8080", noProxy: ".corp.test" };
 * console.assert(proxyFor("http://ocsp.ca.test/", settings) === "http://proxy.test:8080");
 * console.assert(proxyFor("http://ocsp.corp.test/", settings) === undefined);
 * ```
 */
export function proxyFor(url: string | URL, settings: ProxySettings): string | undefined {
  const parsed = typeof url === "string" ? new URL(url) : url;
  const port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
  if (settings.noProxy !== undefined && noProxyMatches(parsed.hostname, port, settings.noProxy)) {
    return undefined;
  }
  const proxy = settings.explicit ??
    (parsed.protocol === "https:" ? settings.httpsProxy : settings.httpProxy) ??
    settings.allProxy;
  if (proxy === undefined || proxy === "") return undefined;
  return proxy.includes("://") ? proxy : `http://${proxy}`;
}

/**
 * Whether `NO_PROXY` exempts a host, as curl reads it: entries separated by
 * commas or spaces; `*` alone matches all; `example.test`, `.example.test`
 * and `*.example.test` match the domain and its subdomains; `host:port`
 * matches that port only; an IP address matches itself and a CIDR range
 * (`10.0.0.0/8`, `fd00::/8`) its addresses. Names are compared without case
 * and a trailing dot; nothing is resolved.
 *
 * @param host The responder's host (an IPv6 address with or without brackets).
 * @param port The responder's port.
 * @param noProxy The `NO_PROXY` value.
 * @returns Whether to connect directly.
 *
 * @example curl's rules
 * ```ts
 * import { noProxyMatches } from "./proxy.ts";
 *
 * console.assert(noProxyMatches("ocsp.corp.test", 80, "corp.test"));
 * console.assert(!noProxyMatches("ocsp.notcorp.test", 80, "corp.test"));
 * console.assert(noProxyMatches("10.1.2.3", 80, "10.0.0.0/8"));
 * console.assert(!noProxyMatches("ocsp.test", 80, "ocsp.test:8080"));
 * console.assert(noProxyMatches("anything", 1, "*"));
 * ```
 */
export function noProxyMatches(host: string, port: number, noProxy: string): boolean {
  const name = stripBrackets(host.toLowerCase()).replace(/\.$/, "");
  const address = parseIp(name);
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    let entryPort: number | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1];
      if (bracketed[2] !== undefined) entryPort = Number(bracketed[2]);
    } else {
      const portMatch = /^([^:]+):(\d+)$/.exec(entry); // one colon: host:port, not IPv6
      if (portMatch) {
        entry = portMatch[1];
        entryPort = Number(portMatch[2]);
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    const slash = entry.indexOf("/");
    const entryIp = parseIp(slash < 0 ? entry : entry.slice(0, slash));
    if (entryIp !== undefined) {
      if (address === undefined || address.v6 !== entryIp.v6) continue;
      const bits = entryIp.v6 ? 128 : 32;
      const prefix = slash < 0 ? bits : Number(entry.slice(slash + 1));
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) continue;
      const shift = BigInt(bits - prefix);
      if (address.value >> shift === entryIp.value >> shift) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, "").replace(/\.$/, "");
    if (domain === "") continue;
    if (name === domain || name.endsWith(`.${domain}`)) return true;
  }
  return false;
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

interface Ip {
  v6: boolean;
  value: bigint;
}

const IPV4_REGEXP = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv4(text: string): bigint | undefined {
  const m = IPV4_REGEXP.exec(text);
  if (!m) return undefined;
  let value = 0n;
  for (const part of m.slice(1)) {
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** An IPv4 or IPv6 address as a number, or undefined for a name. */
function parseIp(text: string): Ip | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { v6: false, value: v4 };
  if (!text.includes(":") || !/^[0-9a-f:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const tail = parseIpv4(piece);
        if (tail === undefined) return undefined;
        out.push(Number(tail >> 16n), Number(tail & 0xffffn));
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return { v6: true, value };
}
