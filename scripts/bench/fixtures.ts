/**
 * Benchmark fixtures made fast: one CA issuing thousands of leaves and
 * signing their OCSP responses. One leaf and one response are made by the
 * test PKI (`scripts/lib/pki.ts`) and responder (`scripts/lib/ocsp_responder.ts`);
 * every other one is that template with its serial number (and, for a leaf,
 * its common name) patched in place and signed again, which is some 30 times
 * faster than building each from scratch.
 *
 * @module
 */
import "reflect-metadata";
import * as asn1js from "asn1js";
import { AsnConvert } from "@peculiar/asn1-schema";
import { OCSPResponse } from "@peculiar/asn1-ocsp";
import { generateKeys, type Issued, type KeyKind, TestCa } from "../lib/pki.ts";
import { buildOcspResponse, signWith } from "../lib/ocsp_responder.ts";
import { toPem } from "../../src/certs/pem.ts";
import { ParsedCert, toHex } from "../../src/certs/parsed_cert.ts";
import { certIdFor } from "../../src/ocsp/cert_id.ts";
import { findOnly, tlv } from "./der.ts";

/** The template serial: 16 bytes, positive, found once in a certificate. */
const MARK_SERIAL = new Uint8Array([0x5a, ...new Array(15).fill(0xa5)]);
/** The template common name; its digits are replaced by the leaf's number. */
const MARK_NAME = "site-0000000.example";
const NAME_DIGITS = 7;
/** DER of id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1). */
const OCSP_BASIC_OID = tlv(0x06, Uint8Array.of(0x2b, 6, 1, 5, 5, 7, 48, 1, 1));
const DAY_MS = 86_400_000;
/** Signatures made at once (WebCrypto signs off the main thread, so both cores help). */
const SIGN_BATCH = 64;

/** A leaf certificate made for a benchmark. */
export interface BenchLeaf {
  /** Its DER bytes. */
  der: Uint8Array;
  /** Its serial number's content bytes. */
  serial: Uint8Array;
  /** The serial as lower-case hex (how the responder looks it up). */
  serialHex: string;
  /** Its common name. */
  name: string;
}

/** Options of {@linkcode BenchPki.create}. */
export interface BenchPkiOptions {
  /** The issuing CA's key type. @default "ec" */
  key?: KeyKind;
  /** The delegated responder's key type. @default the CA's */
  responderKey?: KeyKind;
}

/** Options of {@linkcode BenchPki.responses}. */
export interface BenchResponseOptions {
  /** Signed by the delegated responder (included in the response) instead of the CA. @default false */
  delegated?: boolean;
  /** From thisUpdate to nextUpdate. @default 4 days */
  validityMs?: number;
}

/** Splits a signed DER structure into its to-be-signed part and algorithm. */
function signedParts(der: Uint8Array): { tbs: Uint8Array; alg: Uint8Array; rest: Uint8Array[] } {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1) throw new Error("Cannot split template: not DER");
  const fields = (parsed.result as asn1js.Sequence).valueBlock.value;
  const raw = (i: number) => new Uint8Array(fields[i].valueBeforeDecodeView);
  return { tbs: raw(0), alg: raw(1), rest: fields.slice(3).map((_, i) => raw(i + 3)) };
}

/** A SEQUENCE of tbs, algorithm and a fresh signature (plus optional trailing fields). */
async function resign(
  signer: Issued,
  tbs: Uint8Array,
  alg: Uint8Array,
  rest: Uint8Array[] = [],
): Promise<Uint8Array> {
  const { sig } = await signWith(signer, tbs);
  return tlv(0x30, tbs, alg, tlv(0x03, new Uint8Array([0]), sig), ...rest);
}

/** Writes `serial` over the template serial in a copy of `template`. */
function patchSerial(template: Uint8Array, at: number, serial: Uint8Array): Uint8Array {
  const out = template.slice();
  out.set(serial, at);
  return out;
}

/**
 * A root, an issuing CA (what the leaves name as issuer), a delegated OCSP
 * responder and one key pair shared by every leaf.
 */
export class BenchPki {
  /** The root CA. */
  readonly root: TestCa;
  /** The issuing CA of every leaf. */
  readonly ca: TestCa;
  /** A delegated responder of `ca` (id-kp-OCSPSigning). */
  readonly responder: Issued;
  /** The leaves' private key as PKCS#8 PEM (bundles carry it, as HAProxy's do). */
  readonly leafKeyPem: string;
  /** The leaves' key pair. */
  readonly leafKeys: CryptoKeyPair;
  #runPrefix = crypto.getRandomValues(new Uint8Array(11));
  #nextLeaf = 0;

  private constructor(
    root: TestCa,
    ca: TestCa,
    responder: Issued,
    leafKeys: CryptoKeyPair,
    leafKeyPem: string,
  ) {
    this.root = root;
    this.ca = ca;
    this.responder = responder;
    this.leafKeys = leafKeys;
    this.leafKeyPem = leafKeyPem;
  }

  /**
   * Makes the CAs and keys.
   *
   * @param options Key types.
   * @returns The PKI.
   */
  static async create(options: BenchPkiOptions = {}): Promise<BenchPki> {
    const { key = "ec" } = options;
    const root = await TestCa.root(`Bench Root ${key}`, { key });
    const ca = await root.intermediate(`Bench CA ${key}`, { key });
    const responder = await ca.responder(`Bench OCSP ${key}`, { key: options.responderKey ?? key });
    const leafKeys = await generateKeys("ec");
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey));
    return new BenchPki(root, ca, responder, leafKeys, toPem("PRIVATE KEY", pkcs8));
  }

  /**
   * Issues `count` leaves naming `ocspUrl` as their responder, all valid for
   * 90 days, with distinct serials and names.
   *
   * @param count How many.
   * @param ocspUrl The authorityInfoAccess OCSP URL.
   * @returns The leaves.
   */
  async leaves(count: number, ocspUrl: string): Promise<BenchLeaf[]> {
    const template = await this.ca.leaf(MARK_NAME, {
      keys: this.leafKeys,
      serial: toHex(MARK_SERIAL),
      ocspUrls: [ocspUrl],
    });
    const { tbs, alg } = signedParts(template.der);
    const serialAt = findOnly(tbs, tlv(0x02, MARK_SERIAL)) + 2;
    const nameAt = findOnly(tbs, new TextEncoder().encode(MARK_NAME)) + "site-".length;
    const out: BenchLeaf[] = [];
    for (let i = 0; i < count; i += SIGN_BATCH) {
      const batch: Promise<BenchLeaf>[] = [];
      for (let j = i; j < Math.min(count, i + SIGN_BATCH); j++) {
        const n = this.#nextLeaf++;
        const serial = this.#serial(n);
        const digits = String(n).padStart(NAME_DIGITS, "0");
        const patched = patchSerial(tbs, serialAt, serial);
        patched.set(new TextEncoder().encode(digits), nameAt);
        batch.push(
          resign(this.ca, patched, alg).then((der) => ({
            der,
            serial,
            serialHex: toHex(serial),
            name: `site-${digits}.example`,
          })),
        );
      }
      out.push(...await Promise.all(batch));
    }
    return out;
  }

  /**
   * Signs a good OCSP response for each leaf: thisUpdate an hour ago,
   * nextUpdate `validityMs` after it.
   *
   * @param leaves The leaves.
   * @param options Signer and validity.
   * @returns The DER responses by serial hex.
   */
  async responses(
    leaves: readonly BenchLeaf[],
    options: BenchResponseOptions = {},
  ): Promise<Map<string, Uint8Array>> {
    const { delegated = false, validityMs = 4 * DAY_MS } = options;
    const signer = delegated ? this.responder : this.ca;
    const now = Date.now();
    const certId = await certIdFor(ParsedCert.parse(this.ca.der), MARK_SERIAL);
    const template = await buildOcspResponse({
      signer,
      certs: delegated ? [this.responder] : undefined,
      producedAt: new Date(now),
      singles: [{
        certId,
        thisUpdate: new Date(now - 3_600_000),
        nextUpdate: new Date(now - 3_600_000 + validityMs),
      }],
    });
    const basic = new Uint8Array(
      AsnConvert.parse(template, OCSPResponse).responseBytes!.response.buffer,
    );
    const { tbs, alg, rest } = signedParts(basic);
    const serialAt = findOnly(tbs, tlv(0x02, MARK_SERIAL)) + 2;
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < leaves.length; i += SIGN_BATCH) {
      const batch = leaves.slice(i, i + SIGN_BATCH);
      const signed = await Promise.all(
        batch.map((leaf) => resign(signer, patchSerial(tbs, serialAt, leaf.serial), alg, rest)),
      );
      batch.forEach((leaf, j) => {
        const responseBytes = tlv(0x30, OCSP_BASIC_OID, tlv(0x04, signed[j]));
        out.set(
          leaf.serialHex,
          tlv(0x30, new Uint8Array([0x0a, 0x01, 0x00]), tlv(0xa0, responseBytes)),
        );
      });
    }
    return out;
  }

  /**
   * Writes one HAProxy bundle per leaf into `dir`: the leaf, the issuing CA
   * and the leaf's private key, as `site-NNNNNNN.example.pem`.
   *
   * @param dir An existing directory.
   * @param leaves The leaves.
   * @returns The files' paths, in leaf order.
   */
  async writeBundles(dir: string, leaves: readonly BenchLeaf[]): Promise<string[]> {
    const tail = this.ca.pem + this.leafKeyPem;
    const paths = leaves.map((leaf) => `${dir}/${leaf.name}.pem`);
    // 256 writes at a time: 100,000 bundles one by one take a while.
    for (let i = 0; i < leaves.length; i += 256) {
      await Promise.all(
        leaves.slice(i, i + 256).map((leaf, j) =>
          Deno.writeTextFile(paths[i + j], toPem("CERTIFICATE", leaf.der) + tail)
        ),
      );
    }
    return paths;
  }

  /**
   * The text of one bundle, as {@linkcode BenchPki.writeBundles} writes it.
   *
   * @param leaf The leaf.
   * @returns Leaf, CA and key PEM.
   */
  bundleText(leaf: BenchLeaf): string {
    return toPem("CERTIFICATE", leaf.der) + this.ca.pem + this.leafKeyPem;
  }

  #serial(n: number): Uint8Array {
    const serial = new Uint8Array(16);
    serial[0] = 0x40;
    serial.set(this.#runPrefix, 1);
    new DataView(serial.buffer).setUint32(12, n);
    return serial;
  }
}
