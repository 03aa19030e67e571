/**
 * `--ocsp-responder-override FROM=TO`: sends a responder's requests
 * elsewhere (an internal mirror), as nginx's `ssl_stapling_responder`,
 * Apache's `SSLStaplingForceURL` and certmagic's `responderOverrides` do.
 *
 * - FROM with a scheme (`http://ocsp.ca.test/r3`) is a URL prefix: scheme and
 *   host:port equal, and the path starts with FROM's path at a `/` boundary;
 *   the rest of the path and the query are appended to TO.
 * - FROM without one (`ocsp.ca.test`, `ocsp.ca.test:8080`) is a host (and
 *   port): the URL's scheme and authority are replaced by TO, its path and
 *   query kept after TO's path.
 * - An empty TO disables that responder: its certificates' other OCSP URLs
 *   are tried, it is never asked.
 * - Rules are tried in the order given; the first that matches wins.
 *
 * The GET form of a request is built on the overridden URL.
 *
 * @module
 */
import { ConfigError } from "../../errors/mod.ts";

/** One override rule. */
export interface ResponderOverride {
  /** A URL prefix (with a scheme) or a host[:port]. */
  readonly from: string;
  /** The http(s) URL to use instead, or "" to never ask it. */
  readonly to: string;
}

/**
 * Parses `FROM=TO` (split at the first `=`).
 *
 * @param spec The option's value.
 * @returns The rule.
 * @throws {ConfigError} If there is no `=`, FROM is empty or not a URL or host, or TO is not http(s).
 *
 * @example A mirror for one CA
 * ```ts
 * import { parseResponderOverride } from "./override.ts";
 *
 * const rule = parseResponderOverride("ocsp.ca.test=http://mirror.internal:8080/ca");
 * console.assert(rule.from === "ocsp.ca.test" && rule.to === "http://mirror.internal:8080/ca");
 * ```
 */
export function parseResponderOverride(spec: string): ResponderOverride {
  const at = spec.indexOf("=");
  const fail = (why: string) =>
    new ConfigError(
      "",
      `--ocsp-responder-override ${spec}: ${why} (expected FROM=TO, FROM a URL prefix or a host[:port], TO an http(s) URL or empty)`,
    );
  if (at < 0) throw fail("no '='");
  const from = spec.slice(0, at).trim();
  const to = spec.slice(at + 1).trim();
  if (from === "") throw fail("FROM is empty");
  try {
    const parsed = new URL(from.includes("://") ? from : `http://${from}`);
    if (!from.includes("://") && (parsed.pathname !== "/" || parsed.search !== "")) {
      throw new TypeError("a host has no path");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new TypeError("not http(s)");
    }
  } catch {
    throw fail(`FROM "${from}" is neither an http(s) URL prefix nor a host[:port]`);
  }
  if (to !== "") {
    let parsed: URL;
    try {
      parsed = new URL(to);
    } catch {
      throw fail(`TO "${to}" is not a URL`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw fail(`TO "${to}" is not http or https`);
    }
  }
  return { from, to };
}

function defaultPort(protocol: string): string {
  return protocol === "https:" ? "443" : "80";
}

function join(base: string, rest: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (rest === "" || rest === "/") return rest === "/" ? `${trimmed}/` : base;
  return trimmed + (rest.startsWith("/") ? rest : `/${rest}`);
}

/**
 * The URL to send a responder's requests to, after the overrides.
 *
 * @param url The responder URL from the certificate.
 * @param overrides The rules, in order.
 * @returns The URL to use (`url` itself when no rule matches), or null when a rule disables it.
 *
 * @example Prefix and host rules
 * ```ts
 * import { overrideResponder, parseResponderOverride } from "./override.ts";
 *
 * const rules = [
 *   parseResponderOverride("http://ocsp.ca.test/r3=http://mirror.internal/r3"),
 *   parseResponderOverride("ocsp.other.test="),
 * ];
 * console.assert(overrideResponder("http://ocsp.ca.test/r3/x", rules) === "http://mirror.internal/r3/x");
 * console.assert(overrideResponder("http://ocsp.ca.test/r30", rules) === "http://ocsp.ca.test/r30");
 * console.assert(overrideResponder("http://ocsp.other.test/", rules) === null);
 * ```
 */
export function overrideResponder(
  url: string,
  overrides: readonly ResponderOverride[],
): string | null {
  if (overrides.length === 0) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // the fetch reports it
  }
  const port = parsed.port || defaultPort(parsed.protocol);
  for (const { from, to } of overrides) {
    if (from.includes("://")) {
      const prefix = new URL(from);
      if (prefix.protocol !== parsed.protocol || prefix.hostname !== parsed.hostname) continue;
      if ((prefix.port || defaultPort(prefix.protocol)) !== port) continue;
      const path = from.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "") === ""
        ? "/"
        : prefix.pathname;
      const boundary = path.endsWith("/") || parsed.pathname === path ||
        parsed.pathname.startsWith(`${path}/`);
      if (!parsed.pathname.startsWith(path) || !boundary) continue;
      if (to === "") return null;
      const rest = parsed.pathname.slice(path.endsWith("/") ? path.length - 1 : path.length);
      return join(to, rest) + parsed.search;
    }
    const host = new URL(`http://${from}`);
    if (host.hostname !== parsed.hostname) continue;
    if (host.port !== "" && host.port !== port) continue;
    if (to === "") return null;
    return join(to, parsed.pathname) + parsed.search;
  }
  return url;
}
