/**
 * Where a certificate's staple lives: `<cert>.ocsp` beside it, or, when
 * HAProxy's `ssl-load-extra-del-ext` is on (`"replace-ext"`), with a trailing
 * `.crt` removed first. HAProxy removes only `.crt` (src/ssl_ckch.c), so
 * `site.pem` keeps `site.pem.ocsp` even then. The last revoked response seen
 * is kept beside the staple in a dotfile.
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

/**
 * Where the last revoked response seen for a certificate is kept, beside
 * its staple: `.<staple name>.revoked`. A dotfile, because HAProxy refuses
 * to start when a crt directory holds a file that is neither a certificate
 * nor a dotfile nor one of its extra files; stapled's finder skips it too.
 *
 * @param staplePath The staple file ({@linkcode staplePathFor}).
 * @returns The revocation record's path.
 *
 * @example
 * ```ts
 * revocationPathFor("/etc/ssl/site.pem.ocsp"); // "/etc/ssl/.site.pem.ocsp.revoked"
 * ```
 */
export function revocationPathFor(staplePath: string): string {
  const slash = staplePath.lastIndexOf("/");
  return `${staplePath.slice(0, slash + 1)}.${staplePath.slice(slash + 1)}.revoked`;
}
