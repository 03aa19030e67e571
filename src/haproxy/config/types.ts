/**
 * The shapes `readHaproxyConfig()` returns: the certificates a HAProxy
 * configuration serves and the stats sockets it opens.
 *
 * @module
 */

/**
 * How HAProxy names the staple beside a certificate.
 *
 * - `"append"`: `<crt>.ocsp` (HAProxy's default).
 * - `"replace-ext"`: `ssl-load-extra-del-ext` is set; HAProxy drops a trailing
 *   `.crt` (and only `.crt`) before appending `.ocsp`, so `site.crt` gets
 *   `site.ocsp` while `site.pem` still gets `site.pem.ocsp`. Use
 *   `staplePathFor()` rather than re-implementing the rule.
 */
export type { StapleNaming } from "../../staples/mod.ts";
import type { StapleNaming } from "../../staples/mod.ts";

/**
 * What HAProxy's `ssl-load-extra-files` lets it read beside a certificate:
 * the setting in effect when the certificate's `bind` line is parsed
 * (src/ssl_ckch.c `ssl_sock_load_files_into_ckch()`). Only what matters to
 * staples is kept; `bundle` is applied when the `crt` is looked up, `key`
 * and `sctl` do not concern staples.
 */
export interface HaproxyExtraFiles {
  /** `ocsp`: HAProxy loads the staple file (`<base>.ocsp`) when it starts. */
  ocsp: boolean;
  /**
   * `issuer`: HAProxy reads `<base>.issuer` when it loaded a staple file and
   * the bundle holds no issuer of the certificate.
   */
  issuer: boolean;
  /** The `ssl-load-extra-files` line in effect (`"file:line"`); absent for HAProxy's default, `all`. */
  origin?: string;
}

/**
 * The `load` line of a `crt-store` section (HAProxy 3.0+) a certificate comes
 * from. HAProxy reads only the files the line names: never `<crt>.ocsp`,
 * `<crt>.issuer`, `<crt>.key` or `<crt>.sctl` beside it, whatever
 * `ssl-load-extra-files` says.
 */
export interface HaproxyCrtStoreLoad {
  /** The section's name; `""` for an unnamed `crt-store`. */
  store: string;
  /** `"file:line"` of the `load` line. */
  origin: string;
  /** `alias <name>` of the line, if any. */
  alias?: string;
  /** Absolute path of `key <file>` (joined to the store's `key-base`), if given. */
  keyFile?: string;
  /** Absolute path of `sctl <file>`, if given. */
  sctlFile?: string;
  /** `ocsp-update on|off` of the line; absent for HAProxy's default (the global `ocsp-update.mode`). */
  ocspUpdate?: "on" | "off";
}

/**
 * Why HAProxy's own OCSP updater (2.8+: `ocsp-update on` on a crt-list line;
 * 3.0+: also on a crt-store `load` line, or the global `ocsp-update.mode on`)
 * refreshes a certificate's staple in memory. It never writes the staple file,
 * so after a reload HAProxy starts from whatever the file holds: stapled keeps
 * the file fresh and does not push over the stats socket.
 */
export interface HaproxyOcspUpdate {
  /** `"file:line"` of the setting that turned it on. */
  origin: string;
  /** What turned it on, for `--check-config`, e.g. `ocsp-update on (crt-store load)`. */
  setting: string;
}

/** One certificate file or directory a `bind` line (or crt-list) serves. */
export interface HaproxyCertEntry {
  /** Absolute, normalised path (for a crt-store certificate, its `load crt` file). */
  path: string;
  /**
   * The name HAProxy gives the certificate in its certificate store: the one
   * `show ssl cert` lists and `set ssl cert` / `commit ssl cert` expect.
   * For a certificate named on a `bind` or crt-list line, the path as
   * written, `crt-base` joined with `/`, not normalised, possibly relative.
   * For a crt-store certificate (checked with HAProxy 3.0.11):
   * `@<store>/<alias>` with an alias, else `@<store>/<crt as written>`
   * (`@web/k1.pem`; `@web` + an absolute path: `@web/etc/ssl/k1.pem`); in an
   * unnamed `crt-store`, `@/<alias>`, else the `crt` as written, with the
   * global `crt-base` (not the section's) joined when it is relative.
   */
  haproxyPath: string;
  /** `"dir"` when the path is a directory (not expanded here), else `"file"`. */
  kind: "file" | "dir";
  /** Where it was named: `"file:line"` of the bind line or crt-list line. */
  origin: string;
  /** How HAProxy names the staple of this certificate (or of each file in the directory). */
  stapleNaming: StapleNaming;
  /**
   * Which extra files HAProxy reads beside it (`ssl-load-extra-files`). For a
   * crt-store certificate, or a 3.0 crt-list line naming `key`, `ocsp`,
   * `issuer` or `sctl` (HAProxy then reads only the named files):
   * `ocsp` and `issuer` say whether `stapleFile` / `issuerFile` are set, and
   * `origin` is that line.
   */
  extraFiles: HaproxyExtraFiles;
  /** Set when the certificate comes from a crt-store `load` line (HAProxy 3.0+). */
  crtStore?: HaproxyCrtStoreLoad;
  /**
   * Absolute path of the staple file when the configuration names one (`ocsp
   * <file>` on a crt-store `load` line or a 3.0 crt-list line): HAProxy loads
   * it when it starts, and refuses to start when it is missing. Absent: the
   * staple is `<crt>.ocsp` as `stapleNaming` says (HAProxy does not load it
   * for a crt-store certificate, see `haproxyStapleFiles()`).
   */
  stapleFile?: string;
  /**
   * Absolute path of the issuer file the configuration names (`issuer
   * <file>`); HAProxy prefers an issuer in the bundle's chain.
   */
  issuerFile?: string;
  /** Set when HAProxy's own OCSP updater refreshes this certificate in memory. */
  haproxyUpdates?: HaproxyOcspUpdate;
  /**
   * The global `issuers-chain-path` in effect when the certificate's `bind`
   * line was read (absolute): when the bundle holds no chain at all, HAProxy
   * takes the chain, and the OCSP issuer, from the file there whose first
   * certificate issued the leaf (see `findIssuerInDirectory()` in
   * src/certs/issuer_dir.ts).
   */
  issuersChainPath?: string;
}

/** A stats socket stapled can connect to. */
export type HaproxySocketAddress =
  | {
    /** A UNIX stream socket. */
    transport: "unix";
    /** Absolute path of the socket. */
    path: string;
    /** The socket's `level` (`"operator"`, HAProxy's default, when not given). */
    level?: string;
  }
  | {
    /** A TCP socket. */
    transport: "tcp";
    /** Host to connect to: `127.0.0.1` or `::1` when HAProxy listens on all addresses. */
    hostname: string;
    /** TCP port. */
    port: number;
    /** The socket's `level` (`"operator"`, HAProxy's default, when not given). */
    level?: string;
  };

/** Everything one HAProxy configuration (a file, or a directory of `*.cfg`) says that stapled needs. */
export interface HaproxyConfigResult {
  /** The configuration files read, absolute, in the order HAProxy reads them. */
  configFiles: string[];
  /** The crt-list files read, absolute. */
  crtListFiles: string[];
  /** Certificates and certificate directories served, first mention first, without duplicates. */
  certs: HaproxyCertEntry[];
  /** Stats sockets, in order, without duplicates. */
  sockets: HaproxySocketAddress[];
  /** One line each, `"file:line: message"` where a line is concerned. */
  warnings: string[];
  /**
   * The last global `issuers-chain-path` (absolute), if any; each certificate
   * carries the one in effect for it (`HaproxyCertEntry.issuersChainPath`).
   */
  issuersChainPath?: string;
}
