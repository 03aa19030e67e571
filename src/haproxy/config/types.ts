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

/** One certificate file or directory a `bind` line (or crt-list) serves. */
export interface HaproxyCertEntry {
  /** Absolute, normalised path. */
  path: string;
  /**
   * The path exactly as HAProxy names it in its certificate store: `crt-base`
   * joined with `/`, not normalised, possibly relative. This is the name
   * `show ssl cert` lists and `set ssl cert` expects.
   */
  haproxyPath: string;
  /** `"dir"` when the path is a directory (not expanded here), else `"file"`. */
  kind: "file" | "dir";
  /** Where it was named: `"file:line"` of the bind line or crt-list line. */
  origin: string;
  /** How HAProxy names the staple of this certificate (or of each file in the directory). */
  stapleNaming: StapleNaming;
  /** Which extra files HAProxy reads beside it (`ssl-load-extra-files`). */
  extraFiles: HaproxyExtraFiles;
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
}
