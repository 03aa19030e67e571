/**
 * Warm starts from the state file, before the certificate file is read. A
 * certificate whose file, issuer and staple are unchanged since its staple
 * was verified (the same fingerprints, the issuer inside the file itself)
 * needs no read, no parse and no signature check: its staple is reused from
 * the remembered times alone (`recallStaple`). After a full read, what it
 * found is remembered (`rememberBundle`), and an unchanged file's leaf is
 * not verified by its issuer again (`verifiedIssuer`).
 *
 * @module
 */
import { type CertBundle, certDigest } from "../certs/mod.ts";
import { certIdFor, type ValidatedResponse } from "../ocsp/mod.ts";
import {
  type BundleRecord,
  fileFingerprint,
  type StapleStore,
  type StateStore,
} from "../staples/mod.ts";
import { checkOf, identityOf, responseOf } from "./_remembered.ts";

/** What {@linkcode recallStaple} needs. */
export interface RecallOptions {
  /** The remembered records. */
  state: StateStore;
  /** The staples (their fingerprints). */
  store: StapleStore;
  /** The certificate file. */
  certPath: string;
  /** Its fingerprint now, when just taken (the scan that found it). @default a stat now */
  bundleFingerprint?: string;
  /** Its staple file. */
  staplePath: string;
  /** Now, ms. */
  now: number;
  /** The staple must be valid for longer than this many seconds. */
  minimumValidity: number;
  /** Only when the leaf's facts (status, metrics) were remembered too. */
  needFacts?: boolean;
}

/** A staple recalled without reading its certificate file. */
export interface Recalled {
  /** The staple's remembered result (its `der` is empty: the staple was not read). */
  response: ValidatedResponse;
  /** What the last full read of the certificate file found. */
  bundle: BundleRecord;
  /** The staple file's fingerprint (what a read of it for a push must still give). */
  stapleFingerprint: string;
}

const NOT_READ = new Uint8Array();

/**
 * The staple of an unchanged certificate, from the state file alone: the
 * certificate file has the fingerprint it had when it was read in full (and
 * held its issuer), the staple has the one it had when it was verified for
 * that certificate, and the remembered times leave it valid for longer than
 * `minimumValidity`. Two stats, no read.
 *
 * @param o The records, the files and the time.
 * @returns The recalled staple, or undefined when anything differs.
 *
 * @example Nothing remembered: nothing recalled
 * ```ts
 * import { recallStaple } from "./recall.ts";
 * import { FileStapleStore, MemoryStateStore } from "../staples/mod.ts";
 * const got = recallStaple({
 *   state: new MemoryStateStore(),
 *   store: new FileStapleStore(),
 *   certPath: "/etc/ssl/site.pem",
 *   staplePath: "/etc/ssl/site.pem.ocsp",
 *   now: Date.now(),
 *   minimumValidity: 7200,
 * });
 * console.assert(got === undefined);
 * ```
 */
export function recallStaple(o: RecallOptions): Recalled | undefined {
  const bundle = o.state.getBundle(o.certPath);
  if (!bundle?.selfContained || (o.needFacts && !bundle.facts)) return undefined;
  const rec = o.state.get(o.certPath);
  if (!rec || bundle.notAfter <= o.now || !o.store.fingerprint) return undefined;
  const bundleNow = o.bundleFingerprint ?? fileFingerprint(o.certPath);
  if (bundleNow !== bundle.fingerprint) return undefined;
  const stapleNow = o.store.fingerprint(o.staplePath);
  if (!stapleNow || rec.check !== checkOf(bundleNow, stapleNow, bundle.identity)) return undefined;
  const response = responseOf(rec, NOT_READ, o.now);
  if (!response || (response.expiresAt.getTime() - o.now) / 1000 <= o.minimumValidity) {
    return undefined;
  }
  return { response, bundle, stapleFingerprint: stapleNow };
}

/** What the full read of a certificate file gave, besides the bundle. */
export interface BundleFacts {
  /** The file's fingerprint taken before it was read. */
  fingerprint: string | undefined;
  /** The issuer was in the file itself. */
  selfContained: boolean;
  /** The leaf's facts for status and metrics, when read. */
  facts?: BundleRecord["facts"];
}

/**
 * Remembers what a full read of a certificate file found (its leaf's
 * signature verified by `bundle.issuer`), for {@linkcode recallStaple} and
 * {@linkcode verifiedIssuer}.
 *
 * @param state The records.
 * @param bundle The bundle read.
 * @param read Its file's fingerprint, where its issuer was, its facts.
 *
 * @example
 * ```ts
 * import { rememberBundle, verifiedIssuer } from "./recall.ts";
 * import { parseBundle } from "../certs/mod.ts";
 * import { MemoryStateStore } from "../staples/mod.ts";
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * const ca = await (await TestCa.root("Example Root")).intermediate("Example CA");
 * const leaf = await ca.leaf("www.example.test", { ocspUrls: ["http://ocsp.example.test/"] });
 * const bundle = await parseBundle("/etc/ssl/www.pem", new TextEncoder().encode(leaf.pem + ca.pem));
 * const state = new MemoryStateStore();
 * if ("issuer" in bundle) {
 *   await rememberBundle(state, bundle, { fingerprint: "1.2.3.4.5", selfContained: true });
 * }
 * console.assert(verifiedIssuer(state, "/etc/ssl/www.pem", "1.2.3.4.5") !== undefined);
 * console.assert(verifiedIssuer(state, "/etc/ssl/www.pem", "1.2.3.4.6") === undefined);
 * ```
 */
export async function rememberBundle(
  state: StateStore,
  bundle: CertBundle,
  read: BundleFacts,
): Promise<void> {
  if (!read.fingerprint) return;
  const identity = identityOf(bundle, await certIdFor(bundle.issuer, bundle.leaf.serial));
  const known = state.getBundle(bundle.path);
  const record: BundleRecord = {
    fingerprint: read.fingerprint,
    identity,
    issuer: certDigest(bundle.issuer),
    selfContained: read.selfContained,
    notAfter: bundle.leaf.notAfter.getTime(),
    ocspUrls: [...bundle.ocspUrls],
    ...(read.facts ? { facts: read.facts } : {}),
  };
  if (known && sameRecord(known, record)) return;
  state.setBundle(bundle.path, record);
}

function sameRecord(a: BundleRecord, b: BundleRecord): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The digest of the issuer whose signature on this file's leaf verified,
 * when the file is unchanged since (same fingerprint before the read).
 *
 * @param state The records.
 * @param certPath The certificate file.
 * @param fingerprint Its fingerprint now.
 * @returns The issuer's digest (SHA-256 of its DER, base64), or undefined.
 */
export function verifiedIssuer(
  state: StateStore | undefined,
  certPath: string,
  fingerprint: string | undefined,
): string | undefined {
  if (!state || !fingerprint) return undefined;
  const known = state.getBundle(certPath);
  return known?.fingerprint === fingerprint ? known.issuer : undefined;
}
