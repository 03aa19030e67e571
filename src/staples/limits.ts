/**
 * The largest staple stapled writes. HAProxy reads a runtime API command
 * into one buffer (`tune.bufsize`, 16384 bytes by default), and
 * `set ssl ocsp-response <base64>` carries the response base64-encoded, so a
 * larger response resets the CLI connection instead of being accepted. The
 * `certs` field of a response is not signed: anyone on the path can pad a
 * genuine response past that, so the size is checked like any other rule.
 *
 * @module
 */

/**
 * The largest DER response, in bytes, that every supported HAProxy (2.6 to
 * 3.x with the default `tune.bufsize`) accepts in `set ssl ocsp-response`.
 *
 * @example
 * ```ts
 * import { MAX_STAPLE_BYTES } from "./limits.ts";
 * console.assert(MAX_STAPLE_BYTES < 16384);
 * ```
 */
export const MAX_STAPLE_BYTES = 11_000;
