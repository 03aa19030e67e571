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
 * Measured on loopback with HAProxy 2.6.12 (Debian 12) and 3.0.11 (Debian 13),
 * prompt mode, default `tune.bufsize` 16384: both take a command of at most
 * 16383 bytes (`tune.bufsize` - 1), counting the command line, the payload and
 * the line breaks up to the empty line that ends it. So the largest DER
 * response accepted is:
 *
 * - `set ssl ocsp-response <base64>` (one line): 12270 bytes;
 * - `set ssl ocsp-response <<\n<base64>\n\n` (what stapled sends): 12267;
 * - the same with the base64 wrapped at 64 columns: 12078;
 * - `set ssl cert <crt>.ocsp <<\n<base64>\n\n` (bootstrap): 12243 for a
 *   35-character `<crt>` path, 3 bytes less for every 4 more characters.
 *
 * One byte more and HAProxy 2.6 drops the connection without a reply; 3.0
 * answers "The command is too big for the buffer size. Please change
 * tune.bufsize in the configuration" and drops it. The limits move with
 * `tune.bufsize` (32768 gives 24555 for the payload form). 10000 bytes leaves
 * room for bootstrap paths of up to about 3000 characters; real responses
 * are 300 bytes to 4 KB.
 *
 * @example
 * ```ts
 * import { MAX_STAPLE_BYTES } from "./limits.ts";
 * console.assert(MAX_STAPLE_BYTES < 16384);
 * ```
 */
export const MAX_STAPLE_BYTES = 10_000;
