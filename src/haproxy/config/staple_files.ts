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
import type { HaproxyCrtStoreLoad, HaproxyExtraFiles, HaproxyOcspUpdate } from "./types.ts";

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
  /** `HaproxyCertEntry.crtStore`: the certificate comes from a crt-store `load` line. */
  crtStore?: HaproxyCrtStoreLoad;
  /** `HaproxyCertEntry.stapleFile`: the staple file the configuration names (`ocsp <file>`). */
  stapleFile?: string;
  /** `HaproxyCertEntry.issuerFile`: the issuer file the configuration names (`issuer <file>`). */
  issuerFile?: string;
  /** `HaproxyCertEntry.haproxyUpdates`: HAProxy's own updater refreshes it in memory. */
  haproxyUpdates?: HaproxyOcspUpdate;
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
  /**
   * Set when HAProxy's own OCSP updater refreshes the staple in memory (also
   * part of `decision`): stapled keeps the file fresh for HAProxy's next
   * start and does not push over the stats socket.
   */
  haproxyUpdates?: string;
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
 * - A crt-store certificate (`crtStore`), or a 3.0 crt-list line naming its
 *   files: HAProxy reads only the files the line names. The staple is
 *   `stapleFile` when the line names `ocsp <file>` (loaded when HAProxy
 *   starts, which it refuses while the file is missing), else `<crt>.ocsp`,
 *   which HAProxy never loads (only a pushed staple is served). The issuer
 *   file is `issuerFile` or none (`<crt>.issuer` is not read).
 * - With `haproxyUpdates`, `decision` and `haproxyUpdates` say that HAProxy
 *   also refreshes the staple in memory, so stapled does not push it.
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
 *
 * @example A crt-store certificate: `load crt k2.pem ocsp k2.ocsp issuer ca.pem`
 * ```ts
 * import { haproxyStapleFiles } from "./staple_files.ts";
 * const files = haproxyStapleFiles("/etc/haproxy/certs/k2.pem", {
 *   crtStore: { store: "web", origin: "/etc/haproxy/haproxy.cfg:9" },
 *   stapleFile: "/etc/haproxy/certs/k2.ocsp",
 *   issuerFile: "/etc/haproxy/certs/ca.pem",
 * });
 * // files.staple: "/etc/haproxy/certs/k2.ocsp", files.issuerFile: "/etc/haproxy/certs/ca.pem",
 * // files.loadedAtStart: true
 * ```
 */
export function haproxyStapleFiles(
  certPath: string,
  options: HaproxyStapleFilesOptions = {},
): HaproxyStapleFiles {
  const files = stapleFiles(certPath, options);
  if (!options.haproxyUpdates) return files;
  const { origin, setting } = options.haproxyUpdates;
  const haproxyUpdates =
    `HAProxy also updates it in memory (${setting} at ${origin}); stapled keeps ${files.staple} fresh for HAProxy's next start and does not push it`;
  const decision = files.decision ? `${files.decision}; ${haproxyUpdates}` : haproxyUpdates;
  return { ...files, decision, haproxyUpdates };
}

function stapleFiles(certPath: string, options: HaproxyStapleFilesOptions): HaproxyStapleFiles {
  if (options.crtStore || options.stapleFile !== undefined || options.issuerFile !== undefined) {
    return namedStapleFiles(certPath, options);
  }
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

/**
 * A crt-store certificate, or a 3.0 crt-list line naming its files: HAProxy
 * reads only the files the line names (src/ssl_ckch.c
 * `ckch_store_load_files()`), so `<crt>.ocsp` and `<crt>.issuer` are never
 * read, whatever `ssl-load-extra-files` says.
 */
function namedStapleFiles(
  certPath: string,
  options: HaproxyStapleFilesOptions,
): HaproxyStapleFiles {
  const line = options.crtStore
    ? `the crt-store load line at ${options.crtStore.origin}`
    : `the crt-list line at ${options.extraFiles?.origin ?? "?"}`;
  const issuerFile = options.issuerFile ?? null;
  const hint = issuerFile !== null ? {} : {
    issuerHint:
      `HAProxy reads no ${certPath}.issuer for ${line}: put the issuer in the bundle, add 'issuer <file>' to the line, or put it in the global issuers-chain-path directory`,
  };
  if (options.stapleFile !== undefined) {
    return {
      staple: options.stapleFile,
      issuerFile,
      ...hint,
      loadedAtStart: true,
      decision:
        `loaded by HAProxy when it starts ('ocsp' of ${line}; HAProxy refuses to start while it is missing)`,
    };
  }
  return {
    staple: staplePathFor(certPath, options.naming ?? "append"),
    issuerFile,
    ...hint,
    loadedAtStart: false,
    decision:
      `not loaded by HAProxy when it starts (${line} names no 'ocsp' file); served only once pushed over the stats socket, until HAProxy reloads: add 'ocsp <file>' to the line`,
  };
}
