/**
 * A leaf (or other non-issuer) certificate of a bundle read cheaply: the
 * built-in `node:crypto` X509Certificate checks the DER and gives the
 * validity; a bounded walk of the TBSCertificate's top level gives the
 * original bytes the pipeline compares (serial INTEGER contents, issuer and
 * subject Names, the signed part and both signature algorithms); only the
 * small values stapled reads (subject, basicConstraints, authorityInfoAccess,
 * signature algorithm) go through @peculiar, with the same rules as
 * {@linkcode ParsedCert}. The issuer of a bundle stays a full
 * {@linkcode ParsedCert}, parsed once and shared by the CertCache.
 *
 * @module
 */
import "reflect-metadata";
import { X509Certificate } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AuthorityInfoAccessSyntax,
  BasicConstraints,
  Name,
} from "@peculiar/asn1-x509";
import { bytesEqual, nameToString, type ParsedCert, toHex } from "./parsed_cert.ts";
import { children, type Tlv, tlv } from "./_der_walk.ts";
import { isMustStaple } from "./must_staple.ts";

/** id-ad-ocsp (RFC 5280 §4.2.2.1). */
const ID_AD_OCSP = "1.3.6.1.5.5.7.48.1";
/** DER of the OID id-ce-basicConstraints (2.5.29.19). */
const OID_BASIC_CONSTRAINTS = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x13);
/** DER of the OID id-pe-authorityInfoAccess (1.3.6.1.5.5.7.1.1). */
const OID_AIA = Uint8Array.of(0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01);

/** DER of an empty SEQUENCE (basicConstraints with cA FALSE, no pathLen). */
const EMPTY_SEQUENCE = Uint8Array.of(0x30, 0x00);
/** A line of `X509Certificate.infoAccess` taken as it is: a plain URI. */
const ACCESS_LINE = /^(OCSP|CA Issuers) - URI:([\x21-\x7e]+)$/;

/**
 * The OCSP URLs from node's `infoAccess` text, or undefined when the text
 * cannot be trusted to mirror the extension: the extension's bytes hold a
 * line break (a URI could then fake a line), or a line is anything but a
 * plain URI of OCSP or CA Issuers.
 */
function ocspUrlsFromText(text: string | undefined, aia: Uint8Array): string[] | undefined {
  if (text === undefined || aia.includes(0x0a) || aia.includes(0x0d)) return undefined;
  const urls: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = ACCESS_LINE.exec(line);
    if (!m) return undefined;
    if (m[1] === "OCSP") urls.push(m[2]);
  }
  return urls;
}

/** The OCSP URLs of an authorityInfoAccess value, parsed in full. */
function ocspUrlsFromDer(aia: Uint8Array): string[] {
  const urls: string[] = [];
  for (const ad of AsnConvert.parse(aia.slice(), AuthorityInfoAccessSyntax)) {
    const uri = ad.accessLocation.uniformResourceIdentifier;
    if (ad.accessMethod === ID_AD_OCSP && uri) urls.push(uri);
  }
  return urls;
}

/**
 * A Name's DER as text for messages (`CN=x, O=y`, as {@linkcode nameToString}).
 *
 * @param der The Name's DER.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { LeafCert, subjectText } from "./leaf_cert.ts";
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * const leaf = await (await TestCa.root("Example Root")).leaf("www.example.test");
 * console.assert(subjectText(LeafCert.tryParse(leaf.der)!.subjectDer) === "CN=www.example.test");
 * ```
 */
export function subjectText(der: Uint8Array): string {
  return nameToString(AsnConvert.parse(der, Name));
}

/** Signature AlgorithmIdentifiers by their DER (a CA signs its leaves with one or two). */
const ALGORITHMS = new Map<string, AlgorithmIdentifier>();

/** The AlgorithmIdentifier of this DER, parsed once per distinct encoding. */
function algorithmOf(der: Uint8Array): AlgorithmIdentifier {
  const key = der.toHex();
  let algorithm = ALGORITHMS.get(key);
  if (algorithm === undefined) {
    algorithm = AsnConvert.parse(der, AlgorithmIdentifier);
    if (ALGORITHMS.size < 64) ALGORITHMS.set(key, algorithm);
  }
  return algorithm;
}

/** What status and metrics show of a leaf. */
export interface LeafFacts {
  /** The subject as OpenSSL prints it, one attribute after another (`CN=www.example.test`). */
  subject: string;
  /** The subjectAltName entries as OpenSSL prints them (`DNS:www.example.test`). */
  san: string[];
  /** Whether its TLS feature extension asks for a staple (RFC 7633). */
  mustStaple: boolean;
}

/** A certificate of a bundle that is not (yet) needed as an issuer. */
export class LeafCert {
  /** The certificate's DER bytes. */
  readonly der: Uint8Array;
  /** The original DER of tbsCertificate (what the signature covers). */
  readonly tbsDer: Uint8Array;
  /** The original DER of the subject Name. */
  readonly subjectDer: Uint8Array;
  /** The original DER of the issuer Name. */
  readonly issuerDer: Uint8Array;
  /** The serial number's content bytes (as in the DER INTEGER). */
  readonly serial: Uint8Array;
  #subject: string | undefined;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** basicConstraints cA. */
  readonly isCA: boolean;
  /** OCSP responder URLs from authorityInfoAccess, in order. */
  readonly ocspUrls: readonly string[];
  /** What status and metrics show of it (OpenSSL's forms of the subject and SANs). */
  readonly facts: LeafFacts;
  #innerAlg: Uint8Array;
  #outerAlg: Uint8Array;
  #signature: Uint8Array;

  private constructor(der: Uint8Array) {
    this.der = der;
    const x509 = new X509Certificate(der);
    const cert = tlv(der, 0, der.length);
    if (cert.tag !== 0x30 || cert.end !== der.length) throw new Error("not a certificate");
    const [tbs, outerAlg, sig, ...rest] = children(der, cert);
    if (!sig || rest.length > 0 || tbs.tag !== 0x30 || outerAlg.tag !== 0x30 || sig.tag !== 0x03) {
      throw new Error("not a certificate");
    }
    if (sig.end - sig.contents < 1 || der[sig.contents] !== 0) {
      throw new Error("signature has unused bits");
    }
    const fields = children(der, tbs);
    const base = fields[0]?.tag === 0xa0 ? 1 : 0;
    const [serial, innerAlg, issuer, , subject] = fields.slice(base, base + 5);
    if (!subject || serial.tag !== 0x02 || innerAlg.tag !== 0x30 || issuer.tag !== 0x30) {
      throw new Error("not a tbsCertificate");
    }
    if (subject.tag !== 0x30) throw new Error("not a tbsCertificate");
    const bytes = (el: Tlv, from = el.start) => der.slice(from, el.end);
    this.tbsDer = bytes(tbs);
    this.serial = bytes(serial, serial.contents);
    this.issuerDer = bytes(issuer);
    this.subjectDer = bytes(subject);
    this.#innerAlg = bytes(innerAlg);
    this.#outerAlg = bytes(outerAlg);
    this.#signature = der.slice(sig.contents + 1, sig.end);
    this.notBefore = x509.validFromDate;
    this.notAfter = x509.validToDate;
    let isCA = false;
    const urls: string[] = [];
    const extensions = fields.find((f) => f.tag === 0xa3);
    if (extensions) {
      const [list] = children(der, extensions);
      for (const ext of list ? children(der, list) : []) {
        const [oid, ...more] = children(der, ext);
        const value = more[more.length - 1];
        if (!oid || !value || value.tag !== 0x04) throw new Error("malformed extension");
        const id = der.subarray(oid.start, oid.end);
        const contents = der.subarray(value.contents, value.end);
        if (bytesEqual(id, OID_BASIC_CONSTRAINTS)) {
          // A leaf's usual value, an empty SEQUENCE, is cA FALSE; the rest is parsed.
          isCA = bytesEqual(contents, EMPTY_SEQUENCE)
            ? false
            : AsnConvert.parse(contents.slice(), BasicConstraints).cA;
        } else if (bytesEqual(id, OID_AIA)) {
          urls.push(...(ocspUrlsFromText(x509.infoAccess, contents) ?? ocspUrlsFromDer(contents)));
        }
      }
    }
    this.isCA = isCA;
    this.ocspUrls = urls;
    this.facts = {
      subject: x509.subject.split("\n").join(", "),
      san: x509.subjectAltName ? x509.subjectAltName.split(", ") : [],
      mustStaple: isMustStaple(der),
    };
  }

  /**
   * Reads a DER certificate the cheap way.
   *
   * @param der The certificate's DER bytes.
   * @returns The certificate, or undefined when the cheap reading does not
   *   apply (then parse it with {@linkcode ParsedCert.parse}, which explains why).
   *
   * @example
   * ```ts
   * import { TestCa } from "../../scripts/lib/pki.ts";
   * const root = await TestCa.root("Example Root");
   * const leaf = await root.leaf("www.example.test", { ocspUrls: ["http://ocsp.example.test/"] });
   * const cert = LeafCert.tryParse(leaf.der);
   * console.assert(cert?.ocspUrls[0] === "http://ocsp.example.test/");
   * ```
   */
  static tryParse(der: Uint8Array): LeafCert | undefined {
    try {
      return new LeafCert(der);
    } catch {
      return undefined;
    }
  }

  /** The subject as text, for messages (parsed on first use: most leaves never need it). */
  get subject(): string {
    return this.#subject ??= subjectText(this.subjectDer);
  }

  /** The serial number as lower-case hex without leading zero bytes. */
  get serialHex(): string {
    let s = this.serial;
    while (s.length > 1 && s[0] === 0) s = s.subarray(1);
    return toHex(s);
  }

  /**
   * Whether `issuer` issued this certificate: names chain, the outer
   * signature algorithm repeats the signed one, and the signature verifies
   * with the issuer's key (same rules as {@linkcode ParsedCert.isIssuedBy}).
   *
   * @param issuer The candidate issuer.
   * @returns True when all hold; false otherwise (also for unsupported algorithms).
   */
  async isIssuedBy(issuer: ParsedCert): Promise<boolean> {
    if (!bytesEqual(this.issuerDer, issuer.subjectDer)) return false;
    if (!bytesEqual(this.#outerAlg, this.#innerAlg)) return false;
    try {
      return await issuer.key.verify(algorithmOf(this.#outerAlg), this.#signature, this.tbsDer);
    } catch {
      return false;
    }
  }
}
