/**
 * The parse stage's bundle reading with HAProxy's issuer order: the bundle's
 * chain; when the bundle holds the leaf alone, the global
 * `issuers-chain-path` directory; the issuer file HAProxy would read
 * (`<base>.issuer` under `ssl-load-extra-files`, or the `issuer <file>` of a
 * crt-store `load` line); and when none has it, the leaf's AIA caIssuers
 * URL, fetched, checked and written as that issuer file (unless
 * `--no-fetch-issuer`, or HAProxy would not read the file: then the error
 * says so). Check mode fetches nothing: it says where the issuer would come
 * from.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  type CertBundle,
  type CertCache,
  certificatesIn,
  type NoOcspBundle,
  readBundle,
} from "../certs/mod.ts";
import { fetchCaIssuer, leafCaIssuers, writeIssuerFile } from "../certs/aia_issuer.ts";
import { findIssuerInDirectory } from "../certs/issuer_dir.ts";
import { CertIssuerMissingError, StapledError } from "../errors/mod.ts";
import { haproxyStapleFiles } from "../haproxy/config/mod.ts";
import { fileFingerprint, readSmallFileSync } from "../staples/mod.ts";
import type { Clock } from "../scheduler/mod.ts";
import type { CertSource, IssuerFetch } from "./types.ts";

const log = getLogger(["stapled", "daemon"]);

/** What reading a bundle gave. */
export interface BundleRead {
  /** The bundle; absent in check mode when its issuer would be fetched. */
  bundle?: CertBundle | NoOcspBundle;
  /** Set when the issuer came from `issuers-chain-path`: the file there. */
  issuerDirFile?: string;
  /** Set when the issuer was fetched from the caIssuers URL (or would be, in check mode). */
  issuerFetch?: IssuerFetch;
  /** The certificate file's bytes, when it could be read. */
  bytes?: Uint8Array;
  /** The certificate file's fingerprint, taken before it was read. */
  fingerprint?: string;
}

/** What the reading needs. */
export interface ReadWithIssuerOptions {
  cache: CertCache;
  clock: Clock;
  /** Check mode: nothing fetched or written. */
  check: boolean;
  /** `--no-fetch-issuer` not given. */
  fetchIssuer: boolean;
  timeoutMs: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** The file's fingerprint, when just taken (the scan that found it). @default a stat now */
  fingerprint?: string;
  /**
   * The digest of the issuer whose signature on the leaf verified when the
   * file had this fingerprint (the state file), if any.
   */
  verifiedIssuer?: (fingerprint: string | undefined) => string | undefined;
}

/**
 * The file's bytes and its fingerprint, taken before the read: if the file
 * changes in between, the fingerprint is the older one, so the next look at
 * the file sees a change and reads it again.
 */
async function bytesOf(
  path: string,
  known: string | undefined,
): Promise<{ bytes?: Uint8Array; fingerprint?: string }> {
  const fingerprint = known ?? fileFingerprint(path);
  try {
    return { bytes: readSmallFileSync(path) ?? await Deno.readFile(path), fingerprint };
  } catch {
    return {}; // readBundle() reports it
  }
}

/** The issuers-chain-path file holding the bare leaf's issuer, if any. */
async function issuerInDirectory(
  path: string,
  bytes: Uint8Array | undefined,
  dir: string | undefined,
): Promise<string | undefined> {
  if (!dir || !bytes) return undefined;
  try {
    return (await findIssuerInDirectory(dir, certificatesIn(path, bytes)))?.file;
  } catch (err) {
    if (err instanceof StapledError) return undefined; // readBundle() reports it
    log.warn("cannot read issuers-chain-path {dir}: {reason}", {
      cert: path,
      dir,
      reason: (err as Error).message,
    });
    return undefined;
  }
}

/**
 * Reads a certificate bundle, finding its issuer where HAProxy does, and
 * from its caIssuers URL when HAProxy finds it nowhere.
 *
 * @param path The certificate file.
 * @param source Its source (HAProxy's files for it).
 * @param options Cache, clock, mode, fetch settings.
 * @returns The bundle and where its issuer came from.
 * @throws {StapledError} As `readBundle()`; `CertIssuerMissing` also when the caIssuers URL cannot be fetched now or the issuer file would not be read by HAProxy; `CertValidationError` when the caIssuers answer is not the leaf's issuer.
 *
 * @example A file that is not there
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBundleWithIssuer } from "./_issuer.ts";
 * import { CertCache } from "../certs/mod.ts";
 * import { systemClock } from "../scheduler/mod.ts";
 * const options = { cache: new CertCache(), clock: systemClock, check: true, fetchIssuer: true, timeoutMs: 1000 };
 * await assert.rejects(
 *   readBundleWithIssuer("/nonexistent/site.pem", { paths: [] }, options),
 *   (err: Error) => err.message.startsWith("/nonexistent/site.pem: cannot read certificate file"),
 * );
 * ```
 */
export async function readBundleWithIssuer(
  path: string,
  source: CertSource,
  options: ReadWithIssuerOptions,
): Promise<BundleRead> {
  const files = haproxyStapleFiles(path, source);
  const { bytes, fingerprint } = await bytesOf(path, options.fingerprint);
  const verifiedIssuer = options.verifiedIssuer?.(fingerprint);
  const issuerDirFile = await issuerInDirectory(path, bytes, source.issuersChainPath);
  const read = (issuerFile: string | null) =>
    readBundle(path, {
      cache: options.cache,
      now: new Date(options.clock.now()),
      issuerFile,
      issuerHint: files.issuerHint,
      verifiedIssuer,
      ...(bytes
        ? { readFile: (p: string) => p === path ? Promise.resolve(bytes) : Deno.readFile(p) }
        : {}),
    });
  try {
    return {
      bundle: await read(issuerDirFile ?? files.issuerFile),
      issuerDirFile,
      bytes,
      fingerprint,
    };
  } catch (err) {
    if (!(err instanceof StapledError) || err.kind !== "CertIssuerMissing" || !bytes) throw err;
    if (!options.fetchIssuer) throw err;
    const { leaf, urls } = leafCaIssuers(path, bytes);
    const url = urls[0];
    if (url === undefined) throw err;
    const file = files.issuerFile;
    if (file === null || source.issuerFile !== undefined) {
      const why = file === null
        ? "HAProxy would not read the issuer file stapled would write"
        : `the configuration names ${file} as the issuer file, which stapled does not write`;
      throw new CertIssuerMissingError(
        path,
        `${err.reason}; its caIssuers URL ${url} was not fetched: ${why}`,
      );
    }
    if (options.check) {
      return { issuerFetch: { url, file, fetched: false } };
    }
    const fetched = await fetchCaIssuer(path, leaf, url, {
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
      signal: options.signal,
      clock: options.clock,
    });
    options.signal?.throwIfAborted();
    await writeIssuerFile(path, file, fetched.pem);
    log.info("fetched the issuer of the certificate from {url} and wrote {file}", {
      cert: path,
      url,
      file,
    });
    return {
      bundle: await read(file),
      issuerFetch: { url, file, fetched: true },
      bytes,
      fingerprint,
    };
  }
}
