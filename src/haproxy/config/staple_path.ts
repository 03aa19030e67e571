/**
 * Names the staple file HAProxy loads beside a certificate.
 *
 * @module
 */

import type { StapleNaming } from "./types.ts";

/**
 * Returns the path of the `.ocsp` file HAProxy 2.6 loads for a certificate
 * file: `<crt>.ocsp`, or with `ssl-load-extra-del-ext` (`"replace-ext"`)
 * the path with a trailing `.crt` removed first. HAProxy removes only `.crt`
 * (src/ssl_ckch.c), so `site.pem` keeps `site.pem.ocsp` even then.
 *
 * @param certFile The certificate file (not a directory).
 * @param naming How the configuration names staples.
 * @returns The staple's path.
 * @throws Never.
 *
 * @example With and without ssl-load-extra-del-ext
 * ```ts
 * import { staplePathFor } from "./staple_path.ts";
 * staplePathFor("/etc/ssl/site.crt", "append"); // "/etc/ssl/site.crt.ocsp"
 * staplePathFor("/etc/ssl/site.crt", "replace-ext"); // "/etc/ssl/site.ocsp"
 * staplePathFor("/etc/ssl/site.pem", "replace-ext"); // "/etc/ssl/site.pem.ocsp"
 * ```
 */
export function staplePathFor(certFile: string, naming: StapleNaming = "append"): string {
  const base = naming === "replace-ext" && certFile.endsWith(".crt")
    ? certFile.slice(0, -".crt".length)
    : certFile;
  return `${base}.ocsp`;
}
