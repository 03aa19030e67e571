/**
 * Staple health without a daemon: `stapled status` and `stapled check` read
 * each certificate bundle and its staple from disk and validate the staple
 * completely (`validateOcspResponse`) at the clock's now, giving the same
 * {@linkcode HealthSnapshot} a running daemon gives (without renewal times,
 * responder state or push results, which only the daemon knows).
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import { type CertCache, certificatesIn, hasOcsp, parseBundle } from "../certs/mod.ts";
import { isMustStaple } from "../certs/must_staple.ts";
import { CertFileAccessError } from "../errors/mod.ts";
import { certIdFor, validateOcspResponse } from "../ocsp/mod.ts";
import { certIdKey } from "../haproxy/runtime/show_ocsp_response.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";
import {
  FileStapleStore,
  type StapleNaming,
  staplePathFor,
  type StapleStore,
} from "../staples/mod.ts";
import type { CertificateFacts, CertificateHealth, HealthSnapshot } from "./health.ts";

/** A certificate file to report on, with how HAProxy finds its staple and issuer. */
export interface DiskCertificate {
  /** The certificate file. */
  path: string;
  /** The staple's naming. @default "append" */
  naming?: StapleNaming;
  /** The issuer file, or null when none may be used. @default `${path}.issuer` */
  issuerFile?: string | null;
  /** The staple file, when the configuration names one (`ocsp <file>`). @default by `naming` */
  staplePath?: string;
}

/** Options of {@linkcode healthFromDisk}. */
export interface HealthFromDiskOptions {
  /** The clock validation runs at. @default systemClock */
  clock?: Clock;
  /** Where staples are read from. @default a FileStapleStore */
  store?: StapleStore;
  /** Shared issuer certificates. */
  cache?: CertCache;
}

function stripZeros(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, "");
}

/**
 * The facts `status` shows about a bundle's leaf (subject, SAN, serial,
 * Must-Staple), read with node:crypto (microseconds per certificate).
 *
 * @param ders The bundle's certificates, DER.
 * @param serialHex The leaf's serial (as `LeafInfo.serialHex`).
 * @param ocspUrls The leaf's OCSP URLs.
 * @returns The facts, or undefined when no certificate has that serial.
 *
 * @example
 * ```ts
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * import { leafFacts } from "./health_from_disk.ts";
 * const ca = await TestCa.root("Example CA");
 * const leaf = await ca.leaf("www.example.test");
 * const facts = leafFacts([leaf.der, ca.der], leaf.serial, []);
 * console.assert(facts?.subject === "CN=www.example.test" && facts.mustStaple === false);
 * ```
 */
export function leafFacts(
  ders: Uint8Array[],
  serialHex: string,
  ocspUrls: readonly string[],
): Required<Omit<CertificateFacts, "certIdKey">> | undefined {
  for (const der of ders) {
    const x = new X509Certificate(der);
    if (stripZeros(x.serialNumber) !== stripZeros(serialHex)) continue;
    return {
      subject: x.subject.split("\n").join(", "),
      san: x.subjectAltName ? x.subjectAltName.split(", ") : [],
      serial: serialHex,
      ocspUrls: [...ocspUrls],
      mustStaple: isMustStaple(der),
    };
  }
  return undefined;
}

function unreadable(path: string, err: unknown): CertificateHealth {
  const at = new Date().toISOString();
  const kind = (err as { kind?: unknown })?.kind;
  return {
    path,
    subject: "",
    san: [],
    serial: "",
    ocspUrls: [],
    mustStaple: false,
    parsed: false,
    staple: "none",
    lastError: {
      message: (err as Error)?.message?.split("\n")[0] ?? String(err),
      ...(typeof kind === "string" ? { kind } : {}),
      count: 1,
      firstAt: at,
      lastAt: at,
    },
    pushes: [],
  };
}

async function one(
  file: DiskCertificate,
  now: Date,
  store: StapleStore,
  cache: CertCache | undefined,
): Promise<CertificateHealth> {
  const { path, naming = "append" } = file;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    return unreadable(
      path,
      new CertFileAccessError(path, `cannot read certificate file: ${(err as Error).message}`),
    );
  }
  let bundle;
  let ders;
  try {
    bundle = await parseBundle(path, bytes, { now, cache, issuerFile: file.issuerFile });
    ders = certificatesIn(path, bytes);
  } catch (err) {
    return unreadable(path, err);
  }
  const facts = leafFacts(ders, bundle.leaf.serialHex, bundle.ocspUrls) ?? {
    subject: bundle.leaf.subject,
    san: [],
    serial: bundle.leaf.serialHex,
    ocspUrls: [...bundle.ocspUrls],
    mustStaple: false,
  };
  const cert: CertificateHealth = {
    path,
    ...facts,
    ocspUrls: [...facts.ocspUrls],
    parsed: true,
    staple: "none",
    pushes: [],
  };
  if (!hasOcsp(bundle)) return cert;
  const certId = await certIdFor(bundle.issuer, bundle.leaf.serial);
  cert.certIdKey = certIdKey(certId);
  const staplePath = file.staplePath ?? staplePathFor(path, naming);
  const read = await store.read(staplePath);
  if (read.state === "missing") {
    cert.stapleNote = `no staple at ${staplePath}`;
  } else if (read.state === "unusable") {
    cert.stapleNote = `${staplePath}: ${read.reason}`;
  } else if (read.bytes.length === 0) {
    cert.stapleNote = `${staplePath} is empty`;
  } else {
    try {
      const response = await validateOcspResponse(read.bytes, {
        file: staplePath,
        certId,
        issuer: bundle.issuer,
        now,
        certNotAfter: bundle.leaf.notAfter,
        cache,
      });
      cert.staple = response.status;
      cert.producedAt = response.producedAt.toISOString();
      cert.thisUpdate = response.thisUpdate.toISOString();
      cert.nextUpdate = response.nextUpdate.toISOString();
      cert.expiresAt = response.expiresAt.toISOString();
      if (response.revocationTime) cert.revocationTime = response.revocationTime.toISOString();
    } catch (err) {
      cert.stapleNote = `staple on disk not valid: ${(err as Error).message}`;
    }
  }
  return cert;
}

/**
 * Computes the health of these certificates from the files on disk: each
 * bundle is read (`parseBundle`, so a missing issuer or an expired leaf is
 * reported as for the daemon) and its staple read boundedly from the store
 * and validated at the clock's now. A staple that fails validation (expired,
 * for another certificate, badly signed) counts as none, with why in
 * `stapleNote`. Nothing is written.
 *
 * @param files The certificate files (from discovery).
 * @param options Clock, store and cache.
 * @returns A snapshot with `source: "disk"`.
 *
 * @example A bundle with no staple yet
 * ```ts
 * import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
 * import { healthFromDisk } from "./health_from_disk.ts";
 * const ca = await TestCa.root("Example CA");
 * const leaf = await ca.leaf("www.example.test", { ocspUrls: ["http://ocsp.example.test/"] });
 * const dir = await Deno.makeTempDir();
 * await writeBundle(`${dir}/www.pem`, leaf, [ca]);
 * const snapshot = await healthFromDisk([`${dir}/www.pem`]);
 * console.assert(snapshot.source === "disk" && snapshot.certificates[0].staple === "none");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function healthFromDisk(
  files: Iterable<string | DiskCertificate>,
  options: HealthFromDiskOptions = {},
): Promise<HealthSnapshot> {
  const { clock = systemClock, store = new FileStapleStore({ clock }), cache } = options;
  const now = new Date(clock.now());
  const certificates: CertificateHealth[] = [];
  for (const f of files) {
    certificates.push(await one(typeof f === "string" ? { path: f } : f, now, store, cache));
  }
  for (const c of certificates) {
    if (c.lastError) c.lastError.firstAt = c.lastError.lastAt = now.toISOString();
  }
  certificates.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    format: 1,
    source: "disk",
    generatedAt: now.toISOString(),
    certificates,
    responders: [],
  };
}
