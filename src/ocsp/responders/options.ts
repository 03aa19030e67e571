/**
 * The responder options of the configuration, checked when it is read:
 * `--ocsp-proxy URL` and `--ocsp-responder-override FROM=TO` (repeatable).
 * A bad value is a one-line {@linkcode ConfigError} (exit status 2), so a
 * typo never reaches the daemon; a SIGHUP with a bad one keeps the old
 * configuration.
 *
 * @module
 */
import { ConfigError } from "../../errors/mod.ts";
import { parseResponderOverride, type ResponderOverride } from "./override.ts";

/** The responder settings of a configuration. */
export interface ResponderOptions {
  /** `--ocsp-proxy`: an http(s) proxy URL, or undefined / "" for none. */
  ocspProxy?: string;
  /** `--ocsp-responder-override` values, in order. */
  ocspResponderOverride?: readonly string[];
}

/**
 * Checks the responder options.
 *
 * @param options The configuration's `ocspProxy` and `ocspResponderOverride`.
 * @returns The parsed overrides, in order.
 * @throws {ConfigError} For a proxy that is not an http(s) URL or a malformed override.
 *
 * @example A mirror and a proxy
 * ```ts
 * import { checkResponderOptions } from "./options.ts";
 *
 * const rules = checkResponderOptions({
 *   ocspProxy: "http://proxy.internal:3128",
 *   ocspResponderOverride: ["ocsp.ca.test=http://mirror.internal/ca"],
 * });
 * console.assert(rules.length === 1 && rules[0].to === "http://mirror.internal/ca");
 * let refused = false;
 * try {
 *   checkResponderOptions({ ocspResponderOverride: ["ocsp.ca.test"] });
 * } catch (err) {
 *   refused = (err as { kind?: string }).kind === "ConfigError";
 * }
 * console.assert(refused);
 * ```
 */
export function checkResponderOptions(options: ResponderOptions): ResponderOverride[] {
  const proxy = options.ocspProxy;
  if (proxy !== undefined && proxy !== "") {
    let parsed: URL | undefined;
    try {
      parsed = new URL(proxy);
    } catch { /* reported below */ }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      throw new ConfigError(
        "",
        `--ocsp-proxy ${proxy}: not an http(s) proxy URL (e.g. --ocsp-proxy http://proxy.internal:3128)`,
      );
    }
  }
  return (options.ocspResponderOverride ?? []).map(parseResponderOverride);
}
