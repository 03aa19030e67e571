/**
 * One X.509 certificate parsed once: the raw bytes the OCSP rules need
 * (subject, issuer, public key, to-be-signed part), the extensions stapled
 * looks at, and memoized hashes and imported keys.
 *
 * @module
 */
import "reflect-metadata";
import * as asn1js from "asn1js";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
import {
  AuthorityInfoAccessSyntax,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_pe_authorityInfoAccess,
  Name,
} from "@peculiar/asn1-x509";
import { createHash } from "node:crypto";
import { encodeBase64 } from "./pem.ts";
import { VerifyingKey } from "./signature.ts";

/** id-ad-ocsp (RFC 5280 §4.2.2.1). */
const ID_AD_OCSP = "1.3.6.1.5.5.7.48.1";

/**
 * Lower-case hex of some bytes (the built-in `Uint8Array.prototype.toHex`).
 *
 * @param bytes The bytes.
 * @returns Two lower-case hex digits per byte.
 *
 * @example
 * ```ts
 * import { toHex } from "./parsed_cert.ts";
 * console.log(toHex(new Uint8Array([0, 171, 255]))); // "00abff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  return bytes.toHex();
}

/** Whether two byte arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Renders an X.501 Name as `CN=x, O=y` for messages. */
export function nameToString(name: Name): string {
  const short: Record<string, string> = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
  };
  const parts: string[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      parts.push(`${short[atv.type] ?? atv.type}=${atv.value.toString()}`);
    }
  }
  return parts.join(", ") || "(empty name)";
}

/**
 * A Name in the form RFC 5280 §7.1 compares names in: attribute types with
 * their string values case-folded and with white space collapsed, whatever
 * string type encodes them; attributes of one RDN in a fixed order.
 *
 * @param name The Name.
 * @returns A string equal for names that match.
 */
export function canonicalName(name: Name): string {
  return name.map((rdn) =>
    rdn.map((atv) =>
      `${atv.type}=${atv.value.toString().trim().replace(/\s+/g, " ").toLowerCase()}`
    )
      .sort().join("+")
  ).join(",");
}

/**
 * A parsed certificate. Build it with {@linkcode ParsedCert.parse}; share
 * issuer and responder certificates through a {@linkcode CertCache}.
 */
export class ParsedCert {
  /** The certificate's DER bytes. */
  readonly der: Uint8Array;
  /** The ASN.1 structure. */
  readonly asn: Certificate;
  /** The original DER of tbsCertificate (what the signature covers). */
  readonly tbsDer: Uint8Array;
  /** The original DER of the subject Name. */
  readonly subjectDer: Uint8Array;
  /** The original DER of the issuer Name. */
  readonly issuerDer: Uint8Array;
  /** The original DER of subjectPublicKeyInfo. */
  readonly spkiDer: Uint8Array;
  /** The serial number's content bytes (as in the DER INTEGER). */
  readonly serial: Uint8Array;
  /** The subject as text, for messages. */
  readonly subject: string;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** basicConstraints cA. */
  readonly isCA: boolean;
  /** Extended key usages (OIDs); empty when the extension is absent. */
  readonly extKeyUsages: readonly string[];
  /** OCSP responder URLs from authorityInfoAccess, in order. */
  readonly ocspUrls: readonly string[];
  /** OIDs of the extensions marked critical. */
  readonly criticalExtensions: readonly string[];
  #key?: VerifyingKey;
  #canonicalSubject?: string;
  #keyHashes = new Map<string, Promise<Uint8Array>>();
  #nameHashes = new Map<string, Promise<Uint8Array>>();
  /** Issuers whose signature on this certificate was verified. */
  #verifiedIssuers = new WeakSet<ParsedCert>();

  private constructor(der: Uint8Array) {
    this.der = der;
    this.asn = AsnParser.parse(der, Certificate);
    const tbsRaw = this.asn.tbsCertificateRaw;
    if (!tbsRaw) throw new Error("certificate has no tbsCertificate");
    this.tbsDer = new Uint8Array(tbsRaw);
    const parsed = asn1js.fromBER(this.tbsDer);
    if (parsed.offset === -1) throw new Error("cannot read tbsCertificate");
    const fields = (parsed.result as asn1js.Sequence).valueBlock.value;
    const base = fields[0].idBlock.tagClass === 3 ? 1 : 0; // [0] version present
    this.issuerDer = new Uint8Array(fields[base + 2].valueBeforeDecodeView);
    this.subjectDer = new Uint8Array(fields[base + 4].valueBeforeDecodeView);
    this.spkiDer = new Uint8Array(fields[base + 5].valueBeforeDecodeView);
    const tbs = this.asn.tbsCertificate;
    this.serial = new Uint8Array(tbs.serialNumber);
    this.subject = nameToString(tbs.subject);
    this.notBefore = tbs.validity.notBefore.getTime();
    this.notAfter = tbs.validity.notAfter.getTime();
    let isCA = false;
    const critical: string[] = [];
    let ekus: string[] = [];
    const urls: string[] = [];
    for (const ext of tbs.extensions ?? []) {
      const value = ext.extnValue.buffer;
      if (ext.critical) critical.push(ext.extnID);
      if (ext.extnID === id_ce_basicConstraints) {
        isCA = AsnConvert.parse(value, BasicConstraints).cA;
      } else if (ext.extnID === id_ce_extKeyUsage) {
        ekus = [...AsnConvert.parse(value, ExtendedKeyUsage)];
      } else if (ext.extnID === id_pe_authorityInfoAccess) {
        for (const ad of AsnConvert.parse(value, AuthorityInfoAccessSyntax)) {
          const uri = ad.accessLocation.uniformResourceIdentifier;
          if (ad.accessMethod === ID_AD_OCSP && uri) urls.push(uri);
        }
      }
    }
    this.isCA = isCA;
    this.criticalExtensions = critical;
    this.extKeyUsages = ekus;
    this.ocspUrls = urls;
  }

  /**
   * Parses a DER certificate.
   *
   * @param der The certificate's DER bytes.
   * @returns The parsed certificate.
   * @throws {Error} When the bytes are not a certificate.
   */
  static parse(der: Uint8Array): ParsedCert {
    return new ParsedCert(der);
  }

  /** The subject in canonical form ({@linkcode canonicalName}). */
  get canonicalSubject(): string {
    return this.#canonicalSubject ??= canonicalName(this.asn.tbsCertificate.subject);
  }

  /** The public key, imported lazily and kept for reuse. */
  get key(): VerifyingKey {
    return this.#key ??= new VerifyingKey(this.spkiDer);
  }

  /** The serial number as lower-case hex without leading zero bytes. */
  get serialHex(): string {
    let s = this.serial;
    while (s.length > 1 && s[0] === 0) s = s.subarray(1);
    return toHex(s);
  }

  /**
   * Hash of the subjectPublicKey BIT STRING contents (the OCSP issuerKeyHash
   * when this is the issuer; the byKey ResponderID when this is a signer).
   *
   * @param hash A WebCrypto hash name.
   * @returns The digest.
   */
  keyHash(hash = "SHA-1"): Promise<Uint8Array> {
    let p = this.#keyHashes.get(hash);
    if (!p) {
      const bits = new Uint8Array(this.asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
      p = crypto.subtle.digest(hash, bits).then((d) => new Uint8Array(d));
      this.#keyHashes.set(hash, p);
    }
    return p;
  }

  /**
   * Hash of the subject Name's DER (the OCSP issuerNameHash when this is the
   * issuer).
   *
   * @param hash A WebCrypto hash name.
   * @returns The digest.
   */
  nameHash(hash = "SHA-1"): Promise<Uint8Array> {
    let p = this.#nameHashes.get(hash);
    if (!p) {
      p = crypto.subtle.digest(hash, this.subjectDer as Uint8Array<ArrayBuffer>).then((d) =>
        new Uint8Array(d)
      );
      this.#nameHashes.set(hash, p);
    }
    return p;
  }

  /**
   * Whether `issuer` issued this certificate: names chain and the signature
   * verifies with the issuer's key.
   *
   * @param issuer The candidate issuer.
   * @returns True when both hold; false otherwise (also for unsupported algorithms).
   */
  async isIssuedBy(issuer: ParsedCert): Promise<boolean> {
    if (!bytesEqual(this.issuerDer, issuer.subjectDer)) return false;
    if (this.#verifiedIssuers.has(issuer)) return true;
    // The outer signatureAlgorithm is not signed: it must repeat the signed one.
    const outer = new Uint8Array(AsnConvert.serialize(this.asn.signatureAlgorithm));
    const inner = new Uint8Array(AsnConvert.serialize(this.asn.tbsCertificate.signature));
    if (!bytesEqual(outer, inner)) return false;
    try {
      const ok = await issuer.key.verify(
        this.asn.signatureAlgorithm,
        new Uint8Array(this.asn.signatureValue),
        this.tbsDer,
      );
      if (ok) this.#verifiedIssuers.add(issuer);
      return ok;
    } catch {
      return false;
    }
  }

  /** Whether the certificate is within its validity period at `now`. */
  isValidAt(now: Date): boolean {
    return this.notBefore <= now && now <= this.notAfter;
  }
}

const certDigests = new WeakMap<object, string>();

/**
 * A digest (SHA-256, base64) of a certificate's DER, computed once per
 * parsed certificate: what the state file remembers an issuer by.
 *
 * @param cert A parsed certificate.
 * @returns The digest.
 *
 * @example
 * ```ts
 * import { certDigest, ParsedCert } from "./parsed_cert.ts";
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * const ca = ParsedCert.parse((await TestCa.root("Example Root")).der);
 * console.assert(certDigest(ca).length === 44 && certDigest(ca) === certDigest(ca));
 * ```
 */
export function certDigest(cert: ParsedCert): string {
  let digest = certDigests.get(cert);
  if (digest === undefined) {
    digest = createHash("sha256").update(cert.der).digest("base64");
    certDigests.set(cert, digest);
  }
  return digest;
}

/**
 * Parsed CA and responder certificates shared by their bytes: an issuer used
 * by 10,000 leaves, or a delegated responder certificate sent in every
 * response, is parsed and its key imported once. Leaves are not kept (each is
 * read once per file change). Least recently used entries go first.
 */
export class CertCache {
  #byDer = new Map<string, ParsedCert>();
  #max: number;

  /**
   * @param max How many certificates to keep.
   */
  constructor(max = 1024) {
    this.#max = max;
  }

  /**
   * The cached certificate for `der`, if any (it becomes the most recent).
   *
   * @param der The certificate's DER bytes.
   * @returns The shared parsed certificate, or undefined.
   */
  lookup(der: Uint8Array): ParsedCert | undefined {
    const key = encodeBase64(der);
    const hit = this.#byDer.get(key);
    if (hit) {
      this.#byDer.delete(key);
      this.#byDer.set(key, hit);
    }
    return hit;
  }

  /**
   * The cached certificate for `der`, or a freshly parsed one that is NOT
   * kept (call {@linkcode CertCache.keep} for that).
   *
   * @param der The certificate's DER bytes.
   * @returns The parsed certificate.
   * @throws {Error} When the bytes are not a certificate.
   */
  parse(der: Uint8Array): ParsedCert {
    return this.lookup(der) ?? ParsedCert.parse(der);
  }

  /**
   * Keeps `cert` for sharing; returns the copy already kept for the same bytes.
   *
   * @param cert A parsed certificate.
   * @returns The shared instance.
   */
  keep(cert: ParsedCert): ParsedCert {
    const key = encodeBase64(cert.der);
    const kept = this.#byDer.get(key);
    if (kept) return kept;
    if (this.#byDer.size >= this.#max) {
      const oldest = this.#byDer.keys().next().value;
      if (oldest !== undefined) this.#byDer.delete(oldest);
    }
    this.#byDer.set(key, cert);
    return cert;
  }

  /**
   * The shared certificate for `der`, parsed and kept on first sight.
   *
   * @param der The certificate's DER bytes.
   * @returns The shared parsed certificate.
   * @throws {Error} When the bytes are not a certificate.
   */
  get(der: Uint8Array): ParsedCert {
    return this.lookup(der) ?? this.keep(ParsedCert.parse(der));
  }

  /** How many certificates are cached. */
  get size(): number {
    return this.#byDer.size;
  }
}
