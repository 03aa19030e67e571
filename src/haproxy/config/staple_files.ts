/**
 * HAProxy's rules for the files beside a certificate, applied to staples:
 * where HAProxy reads the staple and the issuer (`ssl-load-extra-del-ext`),
 * whether it loads the staple when it starts (`ssl-load-extra-files ocsp`),
 * and whether it reads an issuer file at all (`issuer`). A staple HAProxy
 * loads but cannot match to an issuer makes it refuse to start, so stapled
 * takes the issuer only from where HAProxy would take it.
 *
 * @module
 */
import { type StapleNaming, staplePathFor } from "../../staples/mod.ts";
import type { HaproxyExtraFiles } from "./types.ts";

/** Options of {@linkcode haproxyStapleFiles}. */
export interface HaproxyStapleFilesOptions {
  /** How HAProxy names the staple. @default "append" */
  naming?: StapleNaming;
  /**
   * The `ssl-load-extra-files` setting of the certificate's `bind` line;
   * absent for a certificate not found through a HAProxy configuration
   * (then the issuer file is always `<crt>.issuer`, as before).
   */
  extraFiles?: HaproxyExtraFiles;
}

/** Where HAProxy reads a certificate's staple and issuer, and why. */
export interface HaproxyStapleFiles {
  /** The staple file: `<base>.ocsp`. */
  staple: string;
  /**
   * The issuer file to use when the bundle holds no issuer (`<base>.issuer`),
   * or `null` when none may be used: HAProxy would load the staple but not
   * the issuer file, and then refuse to start.
   */
  issuerFile: string | null;
  /** With `issuerFile: null`: why, and what the operator can do (for the "issuer missing" error). */
  issuerHint?: string;
  /** Whether HAProxy loads the staple file when it starts (else only a pushed staple is served). */
  loadedAtStart: boolean;
  /**
   * For `--check-config`: what HAProxy does with the staple file and why,
   * when an `ssl-load-extra-files` line applies (absent for HAProxy's
   * default, `all`, and without `extraFiles`).
   */
  decision?: string;
}

/**
 * Applies HAProxy 2.6's extra-file rules (src/ssl_ckch.c,
 * `ssl_sock_load_files_into_ckch()`) to one certificate file:
 *
 * - The base name is the certificate path, without a final `.crt` when
 *   `ssl-load-extra-del-ext` is set; HAProxy reads `<base>.ocsp` and
 *   `<base>.issuer`.
 * - With `ocsp` HAProxy loads `<base>.ocsp` (even an empty one) when it
 *   starts and then needs the issuer: from the bundle's chain, else from
 *   `<base>.issuer` only with `issuer`. Without a findable issuer it refuses
 *   to start ("... activates OCSP but it is impossible to compute the OCSP
 *   certificate ID"), so no issuer file may be used then.
 * - Without `ocsp` HAProxy ignores `<base>.ocsp` at startup (and never takes
 *   it for a certificate in a crt directory), so writing it is harmless; a
 *   staple reaches clients only through a `set ssl cert` transaction on the
 *   stats socket, until HAProxy reloads.
 *
 * @param certPath The certificate file.
 * @param options Naming and `ssl-load-extra-files` of its `bind` line.
 * @returns The staple and issuer files and the decision.
 * @throws Never.
 *
 * @example `ssl-load-extra-files key ocsp` (no `issuer`)
 * ```ts
 * import { haproxyStapleFiles } from "./staple_files.ts";
 * const files = haproxyStapleFiles("/etc/ssl/site.pem", {
 *   extraFiles: { ocsp: true, issuer: false, origin: "/etc/haproxy/haproxy.cfg:3" },
 * });
 * // files.staple: "/etc/ssl/site.pem.ocsp", files.issuerFile: null,
 * // files.issuerHint: "HAProxy does not read /etc/ssl/site.pem.issuer ..."
 * ```
 */
export function haproxyStapleFiles(
  certPath: string,
  options: HaproxyStapleFilesOptions = {},
): HaproxyStapleFiles {
  const { naming = "append", extraFiles } = options;
  const staple = staplePathFor(certPath, naming);
  const issuerFile = `${staple.slice(0, -".ocsp".length)}.issuer`;
  if (!extraFiles) return { staple, issuerFile, loadedAtStart: true };
  const setting = extraFiles.origin
    ? `ssl-load-extra-files at ${extraFiles.origin}`
    : "ssl-load-extra-files (HAProxy's default, all)";
  if (!extraFiles.origin && extraFiles.ocsp && extraFiles.issuer) {
    return { staple, issuerFile, loadedAtStart: true };
  }
  if (!extraFiles.ocsp) {
    return {
      staple,
      issuerFile,
      loadedAtStart: false,
      decision:
        `not loaded by HAProxy when it starts (${setting} has no 'ocsp'); served only once pushed over the stats socket, until HAProxy reloads`,
    };
  }
  const decision = `loaded by HAProxy when it starts (${setting} has 'ocsp')`;
  if (extraFiles.issuer) return { staple, issuerFile, loadedAtStart: true, decision };
  return {
    staple,
    issuerFile: null,
    loadedAtStart: true,
    decision: `${decision}; its issuer must be in the bundle (no 'issuer')`,
    issuerHint:
      `HAProxy does not read ${issuerFile} (${setting} has no 'issuer') and refuses to start with a staple it cannot match, so none is written: add 'issuer' to ssl-load-extra-files or put the issuer in the bundle`,
  };
}
