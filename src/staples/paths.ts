/**
 * Where a certificate's staple lives: `<cert>.ocsp` beside it, or, when
 * HAProxy's `ssl-load-extra-del-ext` is on, the certificate's name with its
 * extension replaced (`site.pem` -> `site.ocsp`).
 *
 * @module
 */

/** How the staple file is named from the certificate file. */
export type StapleNaming = "append" | "replace-ext";

/**
 * The staple file for a certificate file.
 *
 * @param certPath The certificate file.
 * @param naming `append` (default) or `replace-ext`.
 * @returns The staple file's path.
 */
export function staplePathFor(certPath: string, naming: StapleNaming = "append"): string {
  if (naming === "replace-ext") {
    const slash = certPath.lastIndexOf("/");
    const dot = certPath.lastIndexOf(".");
    if (dot > slash + 1) return `${certPath.slice(0, dot)}.ocsp`;
  }
  return `${certPath}.ocsp`;
}
