/**
 * HAProxy's global `issuers-chain-path <dir>`: a directory of issuer chains
 * HAProxy completes a bundle's chain from, and takes the OCSP issuer from,
 * when the bundle holds no chain at all (src/ssl_sock.c
 * `ssl_load_global_issuer_from_BIO()`, `ssl_get0_issuer_chain()`; HAProxy
 * 2.2+; haproxy/haproxy#2635). Each file is parsed once and kept until it
 * changes (size or modification time); lookups are by the leaf's issuer name
 * and key identifier, and a match is checked with `checkIssued()` and the
 * leaf's signature (`node:crypto`'s X509Certificate).
 *
 * @module
 */
import "reflect-metadata";
import { X509Certificate } from "node:crypto";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  Certificate,
  id_ce_authorityKeyIdentifier,
  id_ce_subjectKeyIdentifier,
  SubjectKeyIdentifier,
} from "@peculiar/asn1-x509";
import { splitPem } from "./pem.ts";

/** The issuer a directory holds for a leaf. */
export interface IssuerDirectoryMatch {
  /** The file whose first certificate issued the leaf (HAProxy sends the file's certificates as the chain). */
  file: string;
  /** That first certificate. */
  issuer: X509Certificate;
}

interface IndexedFile {
  size: number;
  mtime: number;
  /** The file's first certificate, when it has one with a subject key identifier. */
  issuer?: X509Certificate;
  skid?: string;
  subject?: string;
}

/** Options of {@linkcode findIssuerInDirectory}. */
export interface FindIssuerInDirectoryOptions {
  /** The index to use and update. @default a cache shared by the process */
  cache?: IssuerDirectoryCache;
}

const decoder = new TextDecoder();
const CERT_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE"]);

/** Byte order of names, as HAProxy's `scandir(..., alphasort)` in the C locale. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function extensionValue(der: Uint8Array, oid: string): ArrayBuffer | undefined {
  const cert = AsnParser.parse(der, Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === oid);
  return ext?.extnValue.buffer;
}

function hex(buffer: ArrayBuffer): string {
  return new Uint8Array(buffer).toHex();
}

/** The subject key identifier, hex, or undefined. */
function subjectKeyId(der: Uint8Array): string | undefined {
  try {
    const value = extensionValue(der, id_ce_subjectKeyIdentifier);
    return value ? hex(AsnConvert.parse(value, SubjectKeyIdentifier).buffer) : undefined;
  } catch {
    return undefined;
  }
}

/** The authority key identifier's keyIdentifier, hex, or undefined. */
function authorityKeyId(der: Uint8Array): string | undefined {
  try {
    const value = extensionValue(der, id_ce_authorityKeyIdentifier);
    const keyId = value ? AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier : undefined;
    return keyId ? hex(keyId.buffer) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An index of issuer directories, each file parsed once and again only when
 * its size or modification time changes.
 */
export class IssuerDirectoryCache {
  #dirs = new Map<string, Map<string, IndexedFile>>();

  /**
   * Reads a directory as HAProxy does when it starts: every regular file
   * (symbolic links followed, dotfiles included), in byte order of names;
   * a file's first certificate is the issuer, and needs a subject key
   * identifier. Unchanged files are not parsed again.
   *
   * @param dir The directory.
   * @returns The indexed files, in HAProxy's order.
   * @throws {Deno.errors.NotFound} When the directory does not exist (other I/O errors too).
   */
  async refresh(dir: string): Promise<Map<string, IndexedFile>> {
    const old = this.#dirs.get(dir) ?? new Map<string, IndexedFile>();
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    names.sort(byteOrder);
    const fresh = new Map<string, IndexedFile>();
    for (const name of names) {
      const file = `${dir.replace(/\/+$/, "")}/${name}`;
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(file);
      } catch {
        continue;
      }
      if (!info.isFile) continue;
      const mtime = info.mtime?.getTime() ?? 0;
      const known = old.get(file);
      if (known && known.size === info.size && known.mtime === mtime) {
        fresh.set(file, known);
        continue;
      }
      fresh.set(file, await indexFile(file, info.size, mtime));
    }
    this.#dirs.set(dir, fresh);
    return fresh;
  }

  /**
   * Finds the issuer HAProxy takes for a leaf from a directory, reading the
   * directory the first time and again when nothing matches (a new file).
   *
   * @param dir The directory.
   * @param leaf The leaf certificate.
   * @returns The match, or undefined.
   */
  async find(dir: string, leaf: X509Certificate): Promise<IssuerDirectoryMatch | undefined> {
    const known = this.#dirs.get(dir);
    if (known) {
      const match = lookup(known, leaf);
      if (match) return match;
    }
    return lookup(await this.refresh(dir), leaf);
  }
}

async function indexFile(file: string, size: number, mtime: number): Promise<IndexedFile> {
  let text: string;
  try {
    text = decoder.decode(await Deno.readFile(file));
  } catch {
    return { size, mtime };
  }
  const first = splitPem(text).find((block) => CERT_LABELS.has(block.label));
  if (!first?.der) return { size, mtime };
  let issuer: X509Certificate;
  try {
    issuer = new X509Certificate(first.der);
  } catch {
    return { size, mtime };
  }
  const skid = subjectKeyId(first.der);
  return skid ? { size, mtime, issuer, skid, subject: issuer.subject } : { size, mtime };
}

/** HAProxy's lookup: the first file whose first certificate has the leaf's AKID as SKID and issued it. */
function lookup(
  files: Map<string, IndexedFile>,
  leaf: X509Certificate,
): IssuerDirectoryMatch | undefined {
  const akid = authorityKeyId(new Uint8Array(leaf.raw));
  if (!akid) return undefined;
  for (const [file, entry] of files) {
    if (!entry.issuer || entry.skid !== akid || entry.subject !== leaf.issuer) continue;
    if (!leaf.checkIssued(entry.issuer)) continue;
    // HAProxy takes the first such file; a wrong signature there is no issuer.
    return leaf.verify(entry.issuer.publicKey) ? { file, issuer: entry.issuer } : undefined;
  }
  return undefined;
}

const sharedCache = new IssuerDirectoryCache();

/**
 * Finds a bundle's issuer in HAProxy's `issuers-chain-path` directory, as
 * HAProxy does: only when the bundle holds the leaf alone (a bundle with a
 * chain is used as it is), the first file (byte order of names) whose first
 * certificate names the leaf's issuer, has the leaf's authority key
 * identifier as subject key identifier, and passes `checkIssued()`; and that
 * certificate must have signed the leaf. The directory is read once and
 * again only when nothing matches; unchanged files are never parsed twice.
 *
 * @param dir The `issuers-chain-path` directory (`HaproxyCertEntry.issuersChainPath`).
 * @param bundle The bundle's certificates, DER, in file order (leaf first),
 *   e.g. `certificatesIn(path, bytes)` from bundle.ts.
 * @param options The index to use.
 * @returns The file and issuer, or undefined (no match, or the bundle has a chain).
 * @throws {Deno.errors.NotFound} When the directory does not exist (other I/O errors too).
 *
 * @example A bare leaf whose CA is in the directory
 * ```ts
 * import { findIssuerInDirectory } from "./issuer_dir.ts";
 * import { certificatesIn } from "./bundle.ts";
 * const path = "/etc/haproxy/certs/site.pem";
 * try {
 *   const match = await findIssuerInDirectory(
 *     "/etc/haproxy/issuers",
 *     certificatesIn(path, await Deno.readFile(path)),
 *   );
 *   // match?.file: "/etc/haproxy/issuers/ca.pem": pass it to readBundle() as issuerFile
 * } catch (err) {
 *   if (!(err instanceof Deno.errors.NotFound)) throw err; // no such files here
 * }
 * ```
 */
export async function findIssuerInDirectory(
  dir: string,
  bundle: readonly Uint8Array[],
  options: FindIssuerInDirectoryOptions = {},
): Promise<IssuerDirectoryMatch | undefined> {
  if (bundle.length !== 1) return undefined;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(bundle[0]);
  } catch {
    return undefined;
  }
  return await (options.cache ?? sharedCache).find(dir, leaf);
}
