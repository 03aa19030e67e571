/**
 * Validates an OCSP response for one certificate before it may be stapled.
 * HAProxy checks no signature on a staple and nginx checks nothing, so this
 * is the only gate. It reads as the checklist it implements (RFC 6960 §3.2
 * and §4.2, RFC 5019 §2.2.4 and §4, RFC 8954), one named check per rule, in
 * this order:
 *
 * 1. `der`: the response is strict DER (re-encoding gives the same bytes, so
 *    no trailing data and no BER), outer and basic response alike. The one
 *    exception asn1js forces: a GeneralizedTime with a fraction finer than
 *    a millisecond (`.1234Z`, valid DER) is compared in its millisecond
 *    form; its text must still be DER (X.690 §11.7: `.`, no trailing zero,
 *    `Z`, a real calendar time).
 * 2. `response-status`: `successful`; the other defined statuses are
 *    reported by name (OcspResponderError, retried later); anything else,
 *    or a non-successful status carrying a body, is malformed.
 * 3. `response-type`: id-pkix-ocsp-basic.
 * 4. `version`: v1.
 * 5. `cert-id`: exactly one SingleResponse, and it matches our CertID
 *    (hash algorithm, issuer name hash, issuer key hash, and the serial as
 *    the same DER INTEGER bytes: 0x80ff is not 0x0080ff); several for
 *    our certificate are conflicting duplicates; HAProxy accepts only one.
 *    The hash AlgorithmIdentifier carries NULL parameters, as HAProxy's
 *    CertID does (its CLI refuses a response whose CertID lacks them).
 * 6. `responder-id`: the ResponderID (by name or by key hash) names the
 *    issuing CA or a certificate included in the response.
 * 7. `signer-authorized`: the signer is the issuing CA itself, or a
 *    delegated responder issued directly by it (its signature verifies with
 *    the CA's key), not a CA itself (basicConstraints cA=TRUE is refused,
 *    as mozilla::pkix refuses it), carrying id-kp-OCSPSigning, with no
 *    unknown critical extension, valid now.
 * 8. `signature-algorithm` / `signature`: the algorithm is allowed, its
 *    parameters are exactly what OpenSSL accepts (RSASSA-PSS: DER, a known
 *    hash, MGF1 with the same hash, saltLength >= 0, trailerField 1;
 *    Ed25519: none), the signature value is strict DER (ECDSA-Sig-Value: a
 *    SEQUENCE of two minimal positive INTEGERs, short-form lengths, no
 *    trailing bytes), and it verifies over the original tbsResponseData.
 * 9. `critical-extension`: no unknown critical extension, in the response
 *    or in our SingleResponse.
 * 10. `nonce`: the nonce we sent comes back unchanged (only when we sent one).
 * 11. `whole-seconds`: thisUpdate and nextUpdate carry no fraction of a
 *    second. DER allows one, but OpenSSL's OCSP_check_validity misreads such
 *    times ("Status times invalid"), so HAProxy 2.6 and 3.0 ignore the staple
 *    ("OCSP single response: no longer valid") and OpenSSL clients reject it.
 * 12. `this-update`, `produced-at`: not in the future (5 min of clock skew).
 * 13. `next-update`: present, after thisUpdate, and not after the
 *    certificate expires, and the effective expiry, min(nextUpdate,
 *    thisUpdate + 10 days) as mozilla::pkix computes it (the CA/B Baseline
 *    Requirements cap the interval at 10 days), is more than 5 min ahead
 *    (HAProxy stops stapling a response 300 s before its nextUpdate).
 * 14. `status`: `good` or `revoked` (the caller decides what to do with a
 *    revoked one); `unknown` is never stapled.
 *
 * @module
 */
import "reflect-metadata";
import * as asn1js from "asn1js";
import { AsnConvert, AsnParser, OctetString } from "@peculiar/asn1-schema";
import {
  BasicOCSPResponse,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPResponse,
  OCSPResponseStatus,
  type SingleResponse,
} from "@peculiar/asn1-ocsp";
import { Certificate, type Extension } from "@peculiar/asn1-x509";
import { OcspBadResponse, OcspResponderError, type OcspResponderStatus } from "../errors/mod.ts";
import {
  bytesEqual,
  canonicalName,
  CertCache,
  MalformedSignatureError,
  nameToString,
  type ParsedCert,
  toHex,
  UnsupportedAlgorithmError,
} from "../certs/mod.ts";
import {
  CERT_ID_HASHES,
  type CertId,
  certIdEquals,
  fromAsnCertId,
  serialHexOf,
} from "./cert_id.ts";
import { tlv } from "./_der_tlv.ts";
import { children as childrenAt, type Tlv, tlv as readTlv } from "../certs/_der_walk.ts";
import { successfulBasicOf } from "./_successful.ts";
import {
  millisecondForm,
  rewriteGeneralizedTimes,
  updateTimeTextsOf,
} from "./_generalized_time.ts";

/** id-kp-OCSPSigning (RFC 6960 §4.2.2.2). */
export const ID_KP_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

/** Allowed clock skew for thisUpdate and producedAt, and HAProxy's nextUpdate margin. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The longest a response is accepted after its thisUpdate, whatever its
 * nextUpdate says: mozilla::pkix's maxOCSPLifetimeInDays, the CA/B Baseline
 * Requirements' cap (4.9.10).
 */
export const MAX_RESPONSE_LIFETIME_MS = 10 * 24 * 3_600_000;

/**
 * When a response stops being accepted by careful clients: the earlier of its
 * nextUpdate and thisUpdate + 10 days. Every decision (accept, reuse, renewal
 * time, "valid until") uses this, never the bare nextUpdate.
 *
 * @param thisUpdate The response's thisUpdate.
 * @param nextUpdate The response's nextUpdate.
 * @returns The effective expiry.
 *
 * @example A 60-day interval counts as 10 days
 * ```ts
 * import { effectiveExpiry } from "./validate.ts";
 * const thisUpdate = new Date("2026-01-01T00:00:00Z");
 * const expiry = effectiveExpiry(thisUpdate, new Date("2026-03-02T00:00:00Z"));
 * console.assert(expiry.toISOString() === "2026-01-11T00:00:00.000Z");
 * ```
 */
export function effectiveExpiry(thisUpdate: Date, nextUpdate: Date): Date {
  return new Date(Math.min(nextUpdate.getTime(), thisUpdate.getTime() + MAX_RESPONSE_LIFETIME_MS));
}

/** Extensions stapled understands, so they may be marked critical. */
const KNOWN_EXTENSIONS = new Set([
  id_pkix_ocsp_nonce,
  "1.3.6.1.5.5.7.48.1.3", // id-pkix-ocsp-crl
  "1.3.6.1.5.5.7.48.1.6", // id-pkix-ocsp-archive-cutoff
  "1.3.6.1.5.5.7.48.1.9", // id-pkix-ocsp-extended-revoke
  "1.3.6.1.4.1.11129.2.4.5", // signed certificate timestamp list
  "2.5.29.21", // CRL reason code
  "2.5.29.24", // invalidity date
]);

/** Certificate extensions a delegated responder certificate may mark critical (RFC 5280 §4.2). */
const RESPONDER_CERT_EXTENSIONS = new Set([
  "2.5.29.14", // subjectKeyIdentifier
  "2.5.29.15", // keyUsage
  "2.5.29.17", // subjectAltName
  "2.5.29.19", // basicConstraints
  "2.5.29.30", // nameConstraints
  "2.5.29.31", // cRLDistributionPoints
  "2.5.29.32", // certificatePolicies
  "2.5.29.35", // authorityKeyIdentifier
  "2.5.29.36", // policyConstraints
  "2.5.29.37", // extKeyUsage
  "2.5.29.54", // inhibitAnyPolicy
  "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
  "1.3.6.1.5.5.7.48.1.5", // id-pkix-ocsp-nocheck
]);

/** CRLReason names (RFC 5280 §5.3.1). */
const CRL_REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "(7)",
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
];

const STATUS_NAMES: Record<number, OcspResponderStatus> = {
  [OCSPResponseStatus.malformedRequest]: "malformedRequest",
  [OCSPResponseStatus.internalError]: "internalError",
  [OCSPResponseStatus.tryLater]: "tryLater",
  [OCSPResponseStatus.sigRequired]: "sigRequired",
  [OCSPResponseStatus.unauthorized]: "unauthorized",
};

/** What the response is checked against. */
export interface ValidationContext {
  /** The certificate file, named in every error. */
  file: string;
  /** The CertID we asked about (SHA-1). */
  certId: CertId;
  /** The issuing CA of the certificate. */
  issuer: ParsedCert;
  /** The current time. */
  now: Date;
  /** The nonce sent with the request, if any. */
  nonce?: Uint8Array;
  /** The certificate's notAfter; a nextUpdate after it is rejected. */
  certNotAfter?: Date;
  /** Cache for responder certificates included in responses. */
  cache?: CertCache;
}

/** A response that passed every check. */
export interface ValidatedResponse {
  /** The response exactly as received: these bytes are stapled. */
  der: Uint8Array;
  /** The certificate's status. */
  status: "good" | "revoked";
  /** When the responder produced the response. */
  producedAt: Date;
  /** Start of the response's validity. */
  thisUpdate: Date;
  /** The response's nextUpdate. */
  nextUpdate: Date;
  /** When clients stop accepting it: {@linkcode effectiveExpiry}. */
  expiresAt: Date;
  /** For revoked: when. */
  revocationTime?: Date;
  /** For revoked: the CRLReason name, when given. */
  revocationReason?: string;
  /** Who signed it. */
  signer: "issuer" | "delegated";
  /** The signer certificate's notAfter (a renewal should come before it). */
  signerNotAfter: Date;
}

const sharedCache = new CertCache();

function reject(ctx: ValidationContext, check: string, reason: string): never {
  throw new OcspBadResponse(ctx.file, check, reason);
}

function sameBytes(a: ArrayBuffer | Uint8Array, b: Uint8Array | undefined): boolean {
  if (!b) return false;
  return bytesEqual(a instanceof Uint8Array ? a : new Uint8Array(a), b);
}

// 1. der ---------------------------------------------------------------------

/**
 * asn1js reads the contents of every OCTET STRING and BIT STRING as ASN.1 on
 * speculation (an extension's value, a signature, the inner response): not
 * here. Nothing reads those trees; each inner structure that matters is
 * parsed (and checked) on its own.
 */
const BER_OPTIONS = { parseEmbedded: false } as const;

/** A structure parsed by {@linkcode parseStrict}, with the asn1js tree it was read from. */
interface Parsed<T> {
  value: T;
  tree: asn1js.AsnType;
}

function parseStrict<T>(
  ctx: ValidationContext,
  der: Uint8Array,
  type: new () => T,
  what: string,
): Parsed<T> {
  let parsed: T;
  let tree: asn1js.AsnType;
  try {
    const ber = asn1js.fromBER(der, BER_OPTIONS);
    if (ber.result.error) throw new Error(ber.result.error);
    tree = ber.result;
    parsed = AsnParser.fromASN(tree, type);
  } catch (err) {
    reject(ctx, "der", `not a DER ${what} (${(err as Error).message})`);
  }
  let again: ArrayBuffer;
  try {
    again = AsnConvert.serialize(parsed);
  } catch (err) {
    reject(ctx, "der", `${what} cannot be re-encoded (${(err as Error).message})`);
  }
  // A GeneralizedTime finer than a millisecond is valid DER that asn1js
  // re-encodes to the millisecond: compare against that form of it instead.
  if (!sameBytes(again, der) && !sameBytes(again, rewriteGeneralizedTimes(der, millisecondForm))) {
    const outer = asn1js.fromBER(der).offset;
    reject(
      ctx,
      "der",
      outer > 0 && outer < der.length
        ? `${what} has ${der.length - outer} trailing bytes`
        : `${what} is not strict DER (BER encoding or explicitly encoded DEFAULT values)`,
    );
  }
  return { value: parsed, tree };
}

/**
 * The included certificates of a `certs` field (`[0] { SEQUENCE OF
 * Certificate }`) that was strict DER in a whole BasicOCSPResponse: parsed
 * from these same bytes, they re-encode to them.
 */
interface KnownCerts {
  /** The certificates, parsed (as a parse of the whole response gives them). */
  asn: Certificate[];
  /** The DER of each, in order (copies: the response's buffer may be reused). */
  ders: Uint8Array[];
}

/**
 * The `certs` fields of BasicOCSPResponses that were strict DER, by their
 * bytes. A delegated responder sends the same certificate in every
 * response, and parsing it (asn1js, then @peculiar's schema) cost more than
 * the rest of the response: a response whose `certs` field is one of these
 * is parsed without it ({@linkcode parseWithKnownCerts}).
 */
const STRICT_CERTS = new Map<string, KnownCerts>();
const STRICT_CERTS_MAX = 256;

/** The bytes of `tree`'s `certs` field, when it has one. */
function certsFieldOf(tree: asn1js.AsnType): Uint8Array | undefined {
  const children = childrenOf(tree);
  const last = children[3];
  return children.length === 4 && last.idBlock.tagClass === 3 && last.idBlock.tagNumber === 0 &&
      last.idBlock.isConstructed
    ? last.valueBeforeDecodeView
    : undefined;
}

function bytesKey(bytes: Uint8Array): string {
  let key = "";
  for (let at = 0; at < bytes.length; at += 8192) {
    key += String.fromCharCode(...bytes.subarray(at, at + 8192));
  }
  return key;
}

/** Remembers the `certs` field of `tree`, a BasicOCSPResponse found strict DER as a whole. */
function rememberStrictCerts(tree: asn1js.AsnType): void {
  const field = certsFieldOf(tree);
  if (!field) return;
  const key = bytesKey(field);
  if (STRICT_CERTS.has(key)) return;
  const ders = childrenOf(childrenOf(tree)[3]).flatMap(childrenOf).map((cert) =>
    cert.valueBeforeDecodeView.slice()
  );
  let asn: Certificate[];
  try {
    asn = ders.map((der) => AsnParser.parse(der, Certificate));
  } catch {
    return;
  }
  if (STRICT_CERTS.size >= STRICT_CERTS_MAX) STRICT_CERTS.clear();
  STRICT_CERTS.set(key, { asn, ders });
}

/** A BasicOCSPResponse parsed by {@linkcode parseBasic}. */
interface ParsedBasic extends Parsed<BasicOCSPResponse> {
  /** The DER of each included certificate, when the tree lacks its `certs` field. */
  certs?: Uint8Array[];
}

/**
 * `der` parsed and found strict DER as {@linkcode parseStrict} would, when
 * its `certs` field is one seen strict before; otherwise undefined (and the
 * caller takes the whole parse, which says what is wrong, if anything).
 *
 * A bounded walk finds the four top-level elements of `SEQUENCE {
 * tbsResponseData, signatureAlgorithm, signature, [0] certs }`, ending
 * exactly where `der` does. The first three, in a SEQUENCE of their own,
 * must parse as a BasicOCSPResponse without certificates and re-encode to
 * their bytes; the fourth equals a `certs` field that re-encoded to itself;
 * the whole is the DER SEQUENCE of the two, so it re-encodes to `der`: the
 * strict-DER check of the whole parse holds. The certificates are those
 * parsed from the same bytes before.
 */
function parseWithKnownCerts(der: Uint8Array): ParsedBasic | undefined {
  let outer: Tlv;
  let fields: Tlv[];
  try {
    outer = readTlv(der, 0, der.length);
    if (outer.tag !== 0x30 || outer.end !== der.length) return undefined;
    fields = childrenAt(der, outer);
  } catch {
    return undefined;
  }
  if (fields.length !== 4 || fields[3].tag !== 0xa0) return undefined;
  const field = der.subarray(fields[3].start, fields[3].end);
  const known = STRICT_CERTS.get(bytesKey(field));
  if (!known) return undefined;
  // The outer length in DER (the fewest bytes): the whole is that SEQUENCE exactly.
  if (!bytesEqual(tlv(0x30, der.subarray(outer.contents)), der)) return undefined;
  const rest = tlv(0x30, der.subarray(fields[0].start, fields[3].start));
  try {
    const ber = asn1js.fromBER(rest, BER_OPTIONS);
    if (ber.result.error || ber.offset !== rest.length) return undefined;
    const value = AsnParser.fromASN(ber.result, BasicOCSPResponse);
    if (value.certs !== undefined || !sameBytes(AsnConvert.serialize(value), rest)) {
      return undefined;
    }
    value.certs = known.asn;
    return { value, tree: ber.result, certs: known.ders };
  } catch {
    return undefined;
  }
}

/**
 * The BasicOCSPResponse in `der`, found strict DER (check 1): without
 * parsing its certificates again when its `certs` field was seen strict.
 */
function parseBasic(ctx: ValidationContext, der: Uint8Array): ParsedBasic {
  const known = parseWithKnownCerts(der);
  if (known) return known;
  const parsed = parseStrict(ctx, der, BasicOCSPResponse, "BasicOCSPResponse");
  rememberStrictCerts(parsed.tree);
  return parsed;
}

function childrenOf(node: asn1js.AsnType | undefined): asn1js.AsnType[] {
  const value = (node?.valueBlock as { value?: unknown } | undefined)?.value;
  return Array.isArray(value) ? value : [];
}

/**
 * Parts of a strict-DER BasicOCSPResponse as received. Each equals its own
 * re-encoding (the whole response did), so the later checks read them here
 * instead of encoding them again.
 */
interface BasicParts {
  /** The ResponseData's tree. */
  responseData: asn1js.AsnType;
  /** The DER of a byName ResponderID's Name. */
  responderName?: Uint8Array;
  /** The DER of each included certificate, in order. */
  certs: Uint8Array[];
}

function basicPartsOf(parsed: ParsedBasic): BasicParts {
  const [responseData, , , certs] = childrenOf(parsed.tree);
  const data = childrenOf(responseData);
  // The version ([0], DEFAULT v1, so absent in DER) comes before the ResponderID.
  const rid = data[0]?.idBlock.tagClass === 3 && data[0].idBlock.tagNumber === 0
    ? data[1]
    : data[0];
  const byName = rid?.idBlock.tagClass === 3 && rid.idBlock.tagNumber === 1
    ? childrenOf(rid)[0]
    : undefined;
  return {
    responseData,
    responderName: byName?.valueBeforeDecodeView,
    certs: parsed.certs ??
      childrenOf(childrenOf(certs)[0]).map((cert) => cert.valueBeforeDecodeView),
  };
}

// 2. response-status ------------------------------------------------------------

function checkResponseStatus(ctx: ValidationContext, response: OCSPResponse): void {
  const status = response.responseStatus;
  if (status === OCSPResponseStatus.successful) {
    if (!response.responseBytes) {
      reject(ctx, "response-status", "successful status without a response body");
    }
    return;
  }
  const name = STATUS_NAMES[status];
  if (!name) reject(ctx, "response-status", `undefined responseStatus ${status}`);
  if (response.responseBytes) {
    reject(ctx, "response-status", `malformed: status ${name} with a response body`);
  }
  throw new OcspResponderError(ctx.file, name);
}

// 3. response-type --------------------------------------------------------------

function checkResponseType(ctx: ValidationContext, response: OCSPResponse): Uint8Array {
  const bytes = response.responseBytes!;
  if (bytes.responseType !== id_pkix_ocsp_basic) {
    reject(ctx, "response-type", `response type ${bytes.responseType} is not id-pkix-ocsp-basic`);
  }
  return new Uint8Array(bytes.response.buffer);
}

// 4. version --------------------------------------------------------------------

function checkVersion(ctx: ValidationContext, basic: BasicOCSPResponse): void {
  if (basic.tbsResponseData.version !== 0) {
    reject(ctx, "version", `unknown ResponseData version ${basic.tbsResponseData.version + 1}`);
  }
}

// 5. cert-id --------------------------------------------------------------------

function findSingleResponse(ctx: ValidationContext, basic: BasicOCSPResponse): SingleResponse {
  const singles = basic.tbsResponseData.responses;
  const ours = singles.filter((s) => certIdEquals(fromAsnCertId(s.certID), ctx.certId));
  if (ours.length > 1) {
    const same = ours.every((s) =>
      sameBytes(AsnConvert.serialize(s), new Uint8Array(AsnConvert.serialize(ours[0])))
    );
    reject(
      ctx,
      "cert-id",
      `${ours.length} SingleResponses for this certificate${
        same ? "" : " that conflict with each other"
      }`,
    );
  }
  if (ours.length === 1) {
    if (singles.length > 1) {
      reject(
        ctx,
        "cert-id",
        `response holds ${singles.length} SingleResponses; HAProxy accepts only one`,
      );
    }
    const params = ours[0].certID.hashAlgorithm.parameters;
    if (params !== null) {
      reject(
        ctx,
        "cert-id",
        `the CertID's ${CERT_ID_HASHES[ctx.certId.hashAlgorithm]} AlgorithmIdentifier has ${
          params === undefined ? "no" : "non-NULL"
        } parameters instead of NULL; HAProxy's CLI refuses such a response`,
      );
    }
    return ours[0];
  }
  if (singles.length === 0) reject(ctx, "cert-id", "response holds no SingleResponse");
  const wanted = serialHexOf(ctx.certId);
  const other = fromAsnCertId(singles[0].certID);
  const hash = CERT_ID_HASHES[other.hashAlgorithm];
  if (!hash) reject(ctx, "cert-id", `unknown CertID hash algorithm ${other.hashAlgorithm}`);
  if (other.hashAlgorithm !== ctx.certId.hashAlgorithm) {
    reject(
      ctx,
      "cert-id",
      `response uses a ${hash} CertID; we asked with SHA-1, which HAProxy requires`,
    );
  }
  if (serialHexOf(other) !== wanted) {
    reject(
      ctx,
      "cert-id",
      `response is for serial ${serialHexOf(other)}, not for this certificate (serial ${wanted})`,
    );
  }
  if (!bytesEqual(other.issuerNameHash, ctx.certId.issuerNameHash)) {
    reject(ctx, "cert-id", "response is for another issuer (issuerNameHash differs)");
  }
  reject(ctx, "cert-id", "response is for another issuer key (issuerKeyHash differs)");
}

// 6. responder-id ---------------------------------------------------------------

interface Signer {
  cert: ParsedCert;
  kind: "issuer" | "delegated";
}

async function matchesResponderId(
  basic: BasicOCSPResponse,
  parts: BasicParts,
  cert: ParsedCert,
): Promise<boolean> {
  const rid = basic.tbsResponseData.responderID;
  if (rid.byName) {
    // Byte-equal names match; else the RFC 5280 §7.1 comparison (case and
    // string type do not matter). The signature check still decides.
    const der = parts.responderName ?? new Uint8Array(AsnConvert.serialize(rid.byName));
    return bytesEqual(der, cert.subjectDer) || canonicalName(rid.byName) === cert.canonicalSubject;
  }
  if (rid.byKey) return sameBytes(rid.byKey.buffer, await cert.keyHash("SHA-1"));
  return false;
}

function describeResponderId(basic: BasicOCSPResponse): string {
  const rid = basic.tbsResponseData.responderID;
  if (rid.byName) return `byName "${nameToString(rid.byName)}"`;
  if (rid.byKey) {
    return `byKey ${toHex(new Uint8Array(rid.byKey.buffer))}`;
  }
  return "(empty)";
}

function isSameCert(a: ParsedCert, b: ParsedCert): boolean {
  return a === b || bytesEqual(a.der, b.der) ||
    (bytesEqual(a.subjectDer, b.subjectDer) && bytesEqual(a.spkiDer, b.spkiDer));
}

async function findSigner(
  ctx: ValidationContext,
  basic: BasicOCSPResponse,
  parts: BasicParts,
): Promise<Signer> {
  if (await matchesResponderId(basic, parts, ctx.issuer)) {
    return { cert: ctx.issuer, kind: "issuer" };
  }
  const cache = ctx.cache ?? sharedCache;
  for (const [i, asn] of (basic.certs ?? []).entries()) {
    let cert: ParsedCert;
    try {
      cert = cache.get(parts.certs[i] ?? new Uint8Array(AsnConvert.serialize(asn)));
    } catch (err) {
      reject(
        ctx,
        "responder-id",
        `included certificate cannot be parsed (${(err as Error).message})`,
      );
    }
    if (!(await matchesResponderId(basic, parts, cert))) continue;
    return { cert, kind: isSameCert(cert, ctx.issuer) ? "issuer" : "delegated" };
  }
  reject(
    ctx,
    "responder-id",
    `ResponderID ${
      describeResponderId(basic)
    } names neither the issuing CA "${ctx.issuer.subject}" nor a certificate included in the response`,
  );
}

// 7. signer-authorized ----------------------------------------------------------

async function checkSignerAuthorized(ctx: ValidationContext, signer: Signer): Promise<void> {
  if (signer.kind === "issuer") return;
  const cert = signer.cert;
  const who = `responder certificate "${cert.subject}"`;
  if (!bytesEqual(cert.issuerDer, ctx.issuer.subjectDer)) {
    reject(
      ctx,
      "signer-authorized",
      `${who} was not issued by the issuing CA "${ctx.issuer.subject}" (issuer "${
        nameToString(cert.asn.tbsCertificate.issuer)
      }")`,
    );
  }
  if (!(await cert.isIssuedBy(ctx.issuer))) {
    reject(
      ctx,
      "signer-authorized",
      `${who} names the issuing CA but its signature does not verify with the CA's key`,
    );
  }
  if (cert.isCA) {
    reject(
      ctx,
      "signer-authorized",
      `${who} is a CA certificate (basicConstraints cA=TRUE); a delegated responder must not be one (mozilla::pkix refuses it)`,
    );
  }
  if (!cert.extKeyUsages.includes(ID_KP_OCSP_SIGNING)) {
    reject(ctx, "signer-authorized", `${who} lacks the id-kp-OCSPSigning extended key usage`);
  }
  const unknown = cert.criticalExtensions.find((oid) => !RESPONDER_CERT_EXTENSIONS.has(oid));
  if (unknown) {
    reject(ctx, "signer-authorized", `${who} has an unknown critical extension ${unknown}`);
  }
  if (ctx.now < cert.notBefore) {
    reject(ctx, "signer-authorized", `${who} is not valid before ${cert.notBefore.toISOString()}`);
  }
  if (ctx.now > cert.notAfter) {
    reject(ctx, "signer-authorized", `${who} expired on ${cert.notAfter.toISOString()}`);
  }
}

// 8. signature ------------------------------------------------------------------

async function checkSignature(
  ctx: ValidationContext,
  basic: BasicOCSPResponse,
  signer: Signer,
): Promise<void> {
  const tbs = basic.tbsResponseDataRaw;
  if (!tbs) reject(ctx, "signature", "the signed part of the response could not be located");
  let ok: boolean;
  try {
    ok = await signer.cert.key.verify(
      basic.signatureAlgorithm,
      new Uint8Array(basic.signature),
      new Uint8Array(tbs),
    );
  } catch (err) {
    if (err instanceof UnsupportedAlgorithmError) reject(ctx, "signature-algorithm", err.message);
    if (err instanceof MalformedSignatureError) reject(ctx, "signature", err.message);
    ok = false;
  }
  if (!ok) {
    reject(ctx, "signature", `signature does not verify with the key of "${signer.cert.subject}"`);
  }
}

// 9. critical-extension -------------------------------------------------------

function checkCriticalExtensions(
  ctx: ValidationContext,
  basic: BasicOCSPResponse,
  single: SingleResponse,
): void {
  const all: Extension[] = [
    ...(basic.tbsResponseData.responseExtensions ?? []),
    ...(single.singleExtensions ?? []),
  ];
  for (const ext of all) {
    if (ext.critical && !KNOWN_EXTENSIONS.has(ext.extnID)) {
      reject(ctx, "critical-extension", `unknown critical extension ${ext.extnID}`);
    }
  }
}

// 10. nonce -------------------------------------------------------------------

function checkNonce(ctx: ValidationContext, basic: BasicOCSPResponse): void {
  if (!ctx.nonce) return;
  const ext = (basic.tbsResponseData.responseExtensions ?? []).find((e) =>
    e.extnID === id_pkix_ocsp_nonce
  );
  if (!ext) reject(ctx, "nonce", "we sent a nonce and the response carries none");
  const value = new Uint8Array(ext.extnValue.buffer);
  const wrapped = new Uint8Array(AsnConvert.serialize(new OctetString(ctx.nonce)));
  if (!bytesEqual(value, wrapped) && !bytesEqual(value, ctx.nonce)) {
    reject(
      ctx,
      "nonce",
      "the response's nonce differs from the one we sent (replayed or cached answer)",
    );
  }
}

// 11-13. times ----------------------------------------------------------------

function checkWholeSeconds(ctx: ValidationContext, parts: BasicParts): void {
  // The response holds exactly one SingleResponse (cert-id).
  const [times = {}] = updateTimeTextsOf(parts.responseData);
  for (const [name, text] of Object.entries(times)) {
    if (text?.includes(".")) {
      reject(
        ctx,
        "whole-seconds",
        `${name} ${text} has a fraction of a second, which OpenSSL misreads: HAProxy ignores such a staple ("no longer valid") and OpenSSL clients reject it`,
      );
    }
  }
}

function checkTimes(
  ctx: ValidationContext,
  basic: BasicOCSPResponse,
  parts: BasicParts,
  single: SingleResponse,
): { nextUpdate: Date; expiresAt: Date } {
  checkWholeSeconds(ctx, parts);
  const now = ctx.now.getTime();
  const { thisUpdate, nextUpdate } = single;
  if (thisUpdate.getTime() > now + CLOCK_SKEW_MS) {
    reject(ctx, "this-update", `thisUpdate ${thisUpdate.toISOString()} is in the future`);
  }
  const producedAt = basic.tbsResponseData.producedAt;
  if (producedAt.getTime() > now + CLOCK_SKEW_MS) {
    reject(ctx, "produced-at", `producedAt ${producedAt.toISOString()} is in the future`);
  }
  if (!nextUpdate) {
    reject(
      ctx,
      "next-update",
      "response has no nextUpdate (RFC 5019 requires one; HAProxy refuses it)",
    );
  }
  if (nextUpdate.getTime() <= thisUpdate.getTime()) {
    reject(
      ctx,
      "next-update",
      `nextUpdate ${nextUpdate.toISOString()} is not after thisUpdate ${thisUpdate.toISOString()}`,
    );
  }
  const expiresAt = effectiveExpiry(thisUpdate, nextUpdate);
  if (expiresAt.getTime() <= now + CLOCK_SKEW_MS) {
    const capped = expiresAt.getTime() < nextUpdate.getTime()
      ? ` (thisUpdate ${thisUpdate.toISOString()} + 10 days, the longest clients accept; nextUpdate says ${nextUpdate.toISOString()})`
      : "";
    reject(
      ctx,
      "next-update",
      expiresAt.getTime() <= now
        ? `response expired at ${expiresAt.toISOString()}${capped}`
        : `response expires at ${expiresAt.toISOString()}${capped}, within 5 minutes (HAProxy stops stapling it 300 s before)`,
    );
  }
  if (ctx.certNotAfter && nextUpdate.getTime() > ctx.certNotAfter.getTime()) {
    reject(
      ctx,
      "next-update",
      `nextUpdate ${nextUpdate.toISOString()} is after the certificate expires (${ctx.certNotAfter.toISOString()})`,
    );
  }
  return { nextUpdate, expiresAt };
}

// 14. status ------------------------------------------------------------------

function checkStatus(
  ctx: ValidationContext,
  single: SingleResponse,
): Pick<ValidatedResponse, "status" | "revocationTime" | "revocationReason"> {
  const status = single.certStatus;
  if (status.good !== undefined) return { status: "good" };
  if (status.revoked !== undefined) {
    const reason = status.revoked.revocationReason;
    return {
      status: "revoked",
      revocationTime: status.revoked.revocationTime,
      revocationReason: reason === undefined
        ? undefined
        : CRL_REASONS[reason.reason] ?? `(${reason.reason})`,
    };
  }
  reject(
    ctx,
    "status",
    "the responder does not know this certificate (status unknown); HAProxy refuses such staples",
  );
}

/**
 * Validates `der` as an OCSP response for `ctx.certId`, applying every rule
 * of this module's checklist in order.
 *
 * @param der The response bytes.
 * @param ctx What to check against.
 * @returns The validated response.
 * @throws {OcspResponderError} The responder answered tryLater, internalError, sigRequired, unauthorized or malformedRequest.
 * @throws {OcspBadResponse} Any rule failed; `check` names it.
 *
 * @example Accept a good response signed by the issuing CA, refuse a sub-CA's
 * ```ts
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * import { buildOcspResponse } from "../../scripts/lib/ocsp_responder.ts";
 * import { ParsedCert } from "../certs/mod.ts";
 * import { OcspBadResponse } from "../errors/mod.ts";
 * import { certIdFor } from "./cert_id.ts";
 *
 * const root = await TestCa.root("Example Root");
 * const ca = await root.intermediate("Example CA");
 * const leaf = ParsedCert.parse((await ca.leaf("www.example.test")).der);
 * const issuer = ParsedCert.parse(ca.der);
 * const certId = await certIdFor(issuer, leaf.serial);
 * const ctx = { file: "www.pem", certId, issuer, now: new Date() };
 *
 * const good = await buildOcspResponse({ signer: ca, singles: [{ certId }] });
 * const result = await validateOcspResponse(good, ctx);
 * console.assert(result.status === "good" && result.signer === "issuer");
 *
 * const subCa = await ca.intermediate("Example Sub-CA", { ekus: ["1.3.6.1.5.5.7.3.9"] });
 * const bySubCa = await buildOcspResponse({ signer: subCa, certs: [subCa], singles: [{ certId }] });
 * const refused = await validateOcspResponse(bySubCa, ctx).catch((err) => err);
 * console.assert(refused instanceof OcspBadResponse && refused.check === "signer-authorized");
 * ```
 */
export async function validateOcspResponse(
  der: Uint8Array,
  ctx: ValidationContext,
): Promise<ValidatedResponse> {
  if (der.length === 0) reject(ctx, "der", "the response is empty");
  // The usual successful id-pkix-ocsp-basic response in DER passes checks
  // 1 (outer part) to 3 as it is; anything else is parsed and checked.
  let basicDer = successfulBasicOf(der);
  if (!basicDer) {
    const response = parseStrict(ctx, der, OCSPResponse, "OCSP response").value;
    checkResponseStatus(ctx, response);
    basicDer = checkResponseType(ctx, response);
  }
  const parsed = parseBasic(ctx, basicDer);
  const basic = parsed.value;
  const parts = basicPartsOf(parsed);
  checkVersion(ctx, basic);
  const single = findSingleResponse(ctx, basic);
  const signer = await findSigner(ctx, basic, parts);
  await checkSignerAuthorized(ctx, signer);
  await checkSignature(ctx, basic, signer);
  checkCriticalExtensions(ctx, basic, single);
  checkNonce(ctx, basic);
  const { nextUpdate, expiresAt } = checkTimes(ctx, basic, parts, single);
  return {
    der,
    ...checkStatus(ctx, single),
    producedAt: basic.tbsResponseData.producedAt,
    thisUpdate: single.thisUpdate,
    nextUpdate,
    expiresAt,
    signer: signer.kind,
    signerNotAfter: signer.cert.notAfter,
  };
}
