/**
 * Where a certificate's staple lives: `<cert>.ocsp` beside it, or, when
 * HAProxy's `ssl-load-extra-del-ext` is on (`"replace-ext"`), with a trailing
 * `.crt` removed first. HAProxy removes only `.crt` (src/ssl_ckch.c), so
 * `site.pem` keeps `site.pem.ocsp` even then.
 *
 * @module
 */

/** How the staple file is named from the certificate file. */
export type StapleNaming = "append" | "replace-ext";

/**
 * The staple file HAProxy loads for a certificate file.
 *
 * @param certPath The certificate file (not a directory).
 * @param naming `append` (default) or `replace-ext`.
 * @returns The staple's path.
 *
 * @example With and without ssl-load-extra-del-ext
 * ```ts
 * staplePathFor("/etc/ssl/site.crt", "append"); // "/etc/ssl/site.crt.ocsp"
 * staplePathFor("/etc/ssl/site.crt", "replace-ext"); // "/etc/ssl/site.ocsp"
 * staplePathFor("/etc/ssl/site.pem", "replace-ext"); // "/etc/ssl/site.pem.ocsp"
 * ```
 */
export function staplePathFor(certPath: string, naming: StapleNaming = "append"): string {
  const base = naming === "replace-ext" && certPath.endsWith(".crt")
    ? certPath.slice(0, -".crt".length)
    : certPath;
  return `${base}.ocsp`;
}
