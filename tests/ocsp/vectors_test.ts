/**
 * Real CA OCSP responses and their broken variants, from the shared vectors
 * folder (`../shared/ocsp-vectors` beside the checkout; see its VECTORS.md for
 * where each file comes from, which certificate and issuer go with it, its
 * validity window and the strict verdict). Each vector is validated with an
 * injected clock inside its window. The vectors are read in place, never
 * copied into the project; without the folder the whole file is skipped.
 *
 * CertIDs come from the leaf and issuer VECTORS.md names. Where it names no
 * leaf, the CertID is built from the response's own serial with the issuer's
 * SHA-1 hashes (`serialFrom: "response"`), or taken whole from the response
 * or the matching request (`certIdFrom`); the test name says so.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { requirePeer } from "../_helpers/net.ts";
import { AsnConvert } from "@peculiar/asn1-schema";
import { BasicOCSPResponse, OCSPRequest, OCSPResponse } from "@peculiar/asn1-ocsp";
import { certificatesIn, decodeBase64, ParsedCert } from "../../src/certs/mod.ts";
import {
  OcspBadResponse,
  OcspResponderError,
  type OcspResponderStatus,
} from "../../src/errors/mod.ts";
import {
  type CertId,
  certIdFor,
  fromAsnCertId,
  type ValidatedResponse,
  validateOcspResponse,
} from "../../src/ocsp/mod.ts";

// Beside the checkout, or where STAPLED_OCSP_VECTORS points.
const VECTORS_DIR = Deno.env.get("STAPLED_OCSP_VECTORS");
const VECTORS = VECTORS_DIR
  ? new URL(`file://${VECTORS_DIR.replace(/\/?$/, "/")}`)
  : new URL("../../../shared/ocsp-vectors/", import.meta.url);

function folderPresent(): boolean {
  try {
    return Deno.statSync(new URL("VECTORS.md", VECTORS)).isFile;
  } catch {
    return false;
  }
}

/** What validateOcspResponse must decide. */
type Verdict =
  | { accept: "good" | "revoked"; signer: "issuer" | "delegated"; reason?: string }
  | { check: string; reason?: string }
  | { responderStatus: OcspResponderStatus };

/** One vector: a response, the certificates it is checked against, a clock. */
interface Vector {
  /** The response file, relative to the vectors folder (`.der` or base64 `.ors`). */
  response: string;
  /** The issuing CA (PEM or DER), or `embedded` for the response's first certificate. */
  issuer: string;
  /** The certificate asked about; its serial and notAfter are used. */
  leaf?: string;
  /** Without a leaf: take the serial from the response's first SingleResponse. */
  serialFrom?: "response";
  /** Without a leaf: take the whole CertID from the response itself or from an OCSP request file. */
  certIdFrom?: "response" | string;
  /** The validation time, inside the response's window unless the test is about the clock. */
  now: string;
  /** What must happen. */
  verdict: Verdict;
  /** What the vector is, for the test name. */
  about: string;
}

function path(rel: string): URL {
  return new URL(rel, VECTORS);
}

function readResponse(rel: string): Uint8Array {
  const bytes = Deno.readFileSync(path(rel));
  if (!rel.endsWith(".ors")) return bytes;
  const der = decodeBase64(new TextDecoder().decode(bytes).replace(/\s+/g, ""));
  if (!der) throw new Error(`Cannot decode ${rel}: not base64`);
  return der;
}

function readCert(rel: string): ParsedCert {
  return ParsedCert.parse(certificatesIn(rel, Deno.readFileSync(path(rel)))[0]);
}

function basicOf(der: Uint8Array): BasicOCSPResponse {
  const outer = AsnConvert.parse(der, OCSPResponse);
  if (!outer.responseBytes) throw new Error("Cannot read the response: it has no body");
  return AsnConvert.parse(outer.responseBytes.response.buffer, BasicOCSPResponse);
}

function embeddedCert(der: Uint8Array): ParsedCert {
  const cert = basicOf(der).certs?.[0];
  if (!cert) throw new Error("Cannot use the embedded certificate: the response has none");
  return ParsedCert.parse(new Uint8Array(AsnConvert.serialize(cert)));
}

function requestCertId(rel: string): CertId {
  const request = AsnConvert.parse(Deno.readFileSync(path(rel)), OCSPRequest);
  return fromAsnCertId(request.tbsRequest.requestList[0].reqCert);
}

function certIdOf(v: Vector, der: Uint8Array, issuer: ParsedCert): Promise<CertId> {
  if (v.leaf) return certIdFor(issuer, readCert(v.leaf).serial);
  if (v.certIdFrom === "response") {
    return Promise.resolve(fromAsnCertId(basicOf(der).tbsResponseData.responses[0].certID));
  }
  if (v.certIdFrom) return Promise.resolve(requestCertId(v.certIdFrom));
  if (v.serialFrom === "response") {
    const single = basicOf(der).tbsResponseData.responses[0];
    return certIdFor(issuer, new Uint8Array(single.certID.serialNumber));
  }
  throw new Error("Cannot build the CertID: the vector names no leaf, serial or request");
}

/** Validates a vector as the renewer would. */
async function validateVector(v: Vector): Promise<ValidatedResponse> {
  const der = readResponse(v.response);
  const issuer = v.issuer === "embedded" ? embeddedCert(der) : readCert(v.issuer);
  return validateOcspResponse(der, {
    file: v.response,
    certId: await certIdOf(v, der, issuer),
    issuer,
    now: new Date(v.now),
    certNotAfter: v.leaf ? readCert(v.leaf).notAfter : undefined,
  });
}

async function assertVerdict(v: Vector): Promise<void> {
  const verdict = v.verdict;
  if ("accept" in verdict) {
    const result = await validateVector(v);
    assert.equal(result.status, verdict.accept);
    assert.equal(result.signer, verdict.signer);
    assert.equal(result.revocationReason, verdict.reason);
    assert.deepEqual(result.der, readResponse(v.response), "the bytes to staple are unchanged");
    return;
  }
  const err = await validateVector(v).then(
    (r) => assert.fail(`Expected a rejection, got status ${r.status}`),
    (e: unknown) => e,
  );
  if ("responderStatus" in verdict) {
    assert.ok(err instanceof OcspResponderError, `Expected OcspResponderError, got ${err}`);
    assert.equal(err.status, verdict.responderStatus);
    return;
  }
  assert.ok(err instanceof OcspBadResponse, `Expected OcspBadResponse, got ${err}`);
  assert.equal(err.check, verdict.check, err.message);
  assert.equal(err.file, v.response);
  if (verdict.reason) {
    assert.ok(err.reason.includes(verdict.reason), `"${err.reason}" lacks "${verdict.reason}"`);
  }
}

function describe(v: Vector): string {
  const verdict = v.verdict;
  const what = "accept" in verdict
    ? `accepts (${verdict.accept})`
    : "responderStatus" in verdict
    ? `reports ${verdict.responderStatus}`
    : `rejects (${verdict.check})`;
  const certId = v.leaf
    ? ""
    : v.certIdFrom
    ? `, CertID from ${
      v.certIdFrom === "response" ? "the response" : v.certIdFrom.split("/").pop()
    }`
    : v.serialFrom
    ? ", CertID from the response's serial"
    : "";
  return `validateOcspResponse() ${what} ${v.response}: ${v.about}${certId}`;
}

// 1. openssl-ocsp-tests ----------------------------------------------------------

const OSSL = "openssl-ocsp-tests";

/** The six valid base responses: leaf, issuer, a time inside the window, signer. */
const OPENSSL_BASES: Record<
  string,
  { leaf: string; issuer: string; now: string; signer: "issuer" | "delegated"; tooOld?: true }
> = {
  ND1: {
    leaf: "ND1_Cert_EE.pem",
    issuer: "ND1_Issuer_ICA.pem",
    now: "2012-10-12T12:00:00Z",
    signer: "issuer",
  },
  ND2: {
    leaf: "ND2_Cert_ICA.pem",
    issuer: "ND2_Issuer_Root.pem",
    now: "2012-10-12T12:00:00Z",
    signer: "issuer",
  },
  ND3: {
    leaf: "ND3_Cert_EE.pem",
    issuer: "ND3_Issuer_Root.pem",
    now: "2012-10-12T12:00:00Z",
    signer: "issuer",
  },
  D1: {
    leaf: "D1_Cert_EE.pem",
    issuer: "D1_Issuer_ICA.pem",
    now: "2012-10-25T12:00:00Z",
    signer: "delegated",
  },
  D2: {
    leaf: "D2_Cert_ICA.pem",
    issuer: "D2_Issuer_Root.pem",
    now: "2012-10-25T12:00:00Z",
    // Produced 22 days after its thisUpdate: expired to clients (10-day rule)
    // from the moment it exists, although its nextUpdate is 6 months on.
    tooOld: true,
    signer: "delegated",
  },
  D3: {
    leaf: "D3_Cert_EE.pem",
    issuer: "D3_Issuer_Root.pem",
    now: "2012-10-24T12:00:00Z",
    signer: "delegated",
  },
};

function opensslVector(
  base: string,
  response: string,
  verdict: Verdict,
  about: string,
  issuer?: string,
): Vector {
  const b = OPENSSL_BASES[base];
  return {
    response: `${OSSL}/${response}`,
    leaf: `${OSSL}/${b.leaf}`,
    issuer: `${OSSL}/${issuer ?? b.issuer}`,
    now: b.now,
    verdict,
    about,
  };
}

const OPENSSL_VECTORS: Vector[] = Object.entries(OPENSSL_BASES).flatMap(([base, b]) => {
  const delegated = b.signer === "delegated";
  const issuerVariant = (prefix: string) => b.issuer.replace(/^[A-Z0-9]+_/, `${prefix}_${base}_`);
  const good: Verdict = b.tooOld
    ? { check: "next-update", reason: "+ 10 days, the longest clients accept" }
    : { accept: "good", signer: b.signer };
  const vectors: Vector[] = [
    opensslVector(
      base,
      `der/${base}.der`,
      good,
      delegated ? "delegated responder, SHA-1 signed" : "signed by the CA, SHA-1",
    ),
    opensslVector(
      base,
      `${base}.ors`,
      good,
      "the base64 form of the same response",
    ),
    opensslVector(
      base,
      `der/ISOP_${base}.der`,
      { check: "signature" },
      "response signature corrupted",
    ),
    opensslVector(
      base,
      `der/WRID_${base}.der`,
      { check: "responder-id" },
      "ResponderID altered",
    ),
    opensslVector(
      base,
      `der/WINH_${base}.der`,
      { check: "cert-id", reason: "issuerNameHash differs" },
      "CertID issuerNameHash altered",
    ),
    opensslVector(
      base,
      `der/WIKH_${base}.der`,
      { check: "cert-id", reason: "issuerKeyHash differs" },
      "CertID issuerKeyHash altered",
    ),
    opensslVector(
      base,
      `der/${base}.der`,
      { check: "cert-id", reason: "issuerNameHash differs" },
      "checked against an issuer with the wrong subject name (WSNIC)",
      issuerVariant("WSNIC"),
    ),
    opensslVector(
      base,
      `der/${base}.der`,
      { check: "cert-id", reason: "issuerKeyHash differs" },
      "checked against an issuer with the wrong key (WKIC)",
      issuerVariant("WKIC"),
    ),
    opensslVector(
      base,
      `der/${base}.der`,
      good,
      "checked against an issuer whose own signature is broken (ISIC: the issuer is trusted as given)",
      issuerVariant("ISIC"),
    ),
  ];
  if (delegated) {
    vectors.push(
      opensslVector(
        base,
        `der/WKDOSC_${base}.der`,
        // D1 and D2 name the responder by key hash, which the wrong key no
        // longer matches; D3 names it by name, so the certificate is found
        // and its signature by the CA fails.
        base === "D3" ? { check: "signer-authorized" } : { check: "responder-id" },
        "delegated responder certificate carries the wrong public key",
      ),
      opensslVector(
        base,
        `der/ISDOSC_${base}.der`,
        { check: "signer-authorized", reason: "does not verify with the CA's key" },
        "delegated responder certificate's own signature corrupted",
      ),
    );
  }
  return vectors;
});

// 2. botan -----------------------------------------------------------------------

const BOTAN_VECTORS: Vector[] = [
  {
    response: "botan/randombit_ocsp.der",
    leaf: "botan/randombit.pem",
    issuer: "botan/letsencrypt.pem",
    now: "2016-11-20T12:00:00Z",
    verdict: { accept: "good", signer: "issuer" },
    about: "Let's Encrypt X3, byName, sha256RSA",
  },
  {
    response: "botan/randombit_ocsp.der",
    leaf: "botan/randombit.pem",
    issuer: "botan/letsencrypt.pem",
    now: "2016-11-11T12:00:00Z",
    verdict: { check: "this-update", reason: "in the future" },
    about: "checked a week before thisUpdate",
  },
  {
    response: "botan/randombit_ocsp.der",
    leaf: "botan/randombit.pem",
    issuer: "botan/letsencrypt.pem",
    now: "2016-11-28T12:00:00Z",
    verdict: { check: "next-update", reason: "response expired at" },
    about: "checked three days after nextUpdate",
  },
  {
    response: "botan/randombit_ocsp.der",
    leaf: "botan/randombit.pem",
    issuer: "botan/letsencrypt.pem",
    now: "2016-11-25T11:57:00Z",
    verdict: { check: "next-update", reason: "within 5 minutes" },
    about: "checked 3 minutes before nextUpdate (HAProxy would drop it at once)",
  },
  {
    response: "botan/randombit_ocsp_forged_valid.der",
    leaf: "botan/randombit.pem",
    issuer: "botan/letsencrypt.pem",
    now: "2016-11-20T12:00:00Z",
    verdict: { check: "signer-authorized", reason: "was not issued by the issuing CA" },
    about: "good, signed by a responder of an unrelated CA",
  },
  {
    response: "botan/randombit_ocsp_forged_revoked.der",
    leaf: "botan/randombit.pem",
    issuer: "botan/letsencrypt.pem",
    now: "2016-11-20T12:00:00Z",
    verdict: { check: "signer-authorized", reason: "was not issued by the issuing CA" },
    about: "revoked, signed by a responder of an unrelated CA",
  },
  {
    response: "botan/randombit_ocsp_forged_valid_nocerts.der",
    leaf: "botan/randombit.pem",
    issuer: "botan/letsencrypt.pem",
    now: "2016-11-20T12:00:00Z",
    verdict: { check: "responder-id" },
    about: "forged responder not included",
  },
  {
    response: "botan/bdr-ocsp-resp.der",
    leaf: "botan/bdr.pem",
    issuer: "botan/bdr-int.pem",
    now: "2022-09-19T18:00:00Z",
    verdict: { accept: "good", signer: "delegated" },
    about: "D-TRUST delegated responder with OCSPSigning",
  },
  {
    response: "botan/bdr-int-ocsp-resp.der",
    leaf: "botan/bdr-int.pem",
    issuer: "botan/bdr-root.pem",
    now: "2022-09-19T18:00:00Z",
    verdict: { accept: "good", signer: "delegated" },
    about: "D-TRUST root's responder for the intermediate",
  },
  {
    response: "botan/patrickschmidt_ocsp.der",
    leaf: "botan/patrickschmidt.pem",
    issuer: "botan/bdrive_encryption.pem",
    now: "2019-05-28T07:30:00Z",
    verdict: { check: "next-update", reason: "no nextUpdate" },
    about: "Bdrive, no nextUpdate",
  },
  {
    response: "botan/patrickschmidt_ocsp_try_later_wrong_sig.der",
    leaf: "botan/patrickschmidt.pem",
    issuer: "botan/bdrive_encryption.pem",
    now: "2019-05-28T07:30:00Z",
    verdict: { check: "response-status", reason: "tryLater with a response body" },
    about: "tryLater carrying responseBytes (malformed)",
  },
  {
    response: "botan/mychain_ocsp_for_ee.der",
    leaf: "botan/mychain_ee.pem",
    issuer: "botan/mychain_int.pem",
    now: "2022-09-22T23:30:00Z",
    verdict: { accept: "good", signer: "issuer" },
    about: "signed by the issuing CA",
  },
  {
    response: "botan/mychain_ocsp_for_ee_delegate_signed.der",
    leaf: "botan/mychain_ee.pem",
    issuer: "botan/mychain_int.pem",
    now: "2022-09-22T23:30:00Z",
    verdict: { accept: "good", signer: "delegated" },
    about: "delegated responder valid until 2022-10-07",
  },
  {
    response: "botan/mychain_ocsp_for_ee_delegate_signed.der",
    leaf: "botan/mychain_ee.pem",
    issuer: "botan/mychain_int.pem",
    now: "2022-10-08T00:00:00Z",
    verdict: { check: "signer-authorized", reason: "expired on 2022-10-07" },
    about: "checked after the delegated responder expired",
  },
  {
    response: "botan/mychain_ocsp_for_ee_delegate_signed_malformed.der",
    leaf: "botan/mychain_ee.pem",
    issuer: "botan/mychain_int.pem",
    now: "2022-09-22T23:30:00Z",
    verdict: { check: "signer-authorized", reason: "lacks the id-kp-OCSPSigning" },
    about: "delegated responder without the OCSPSigning EKU",
  },
  {
    response: "botan/mychain_ocsp_for_ee_root_signed.der",
    leaf: "botan/mychain_ee.pem",
    issuer: "botan/mychain_int.pem",
    now: "2022-09-22T23:30:00Z",
    verdict: { check: "responder-id" },
    about: "signed by the root, not the issuing CA",
  },
  {
    response: "botan/mychain_ocsp_for_int_self_signed.der",
    leaf: "botan/mychain_int.pem",
    issuer: "botan/mychain_root.pem",
    now: "2022-09-22T23:30:00Z",
    verdict: { check: "responder-id" },
    about: "about the intermediate, signed by the intermediate itself",
  },
  {
    response: "botan/byKey_responderID.der",
    certIdFrom: "response",
    issuer: "botan/byKey_responder.pem",
    now: "2026-05-06T00:00:00Z",
    verdict: { check: "next-update", reason: "no nextUpdate" },
    about: "found byKey and signature valid, but no nextUpdate (and status unknown)",
  },
  {
    response: "botan/mldsa_ocsp.der",
    leaf: "botan/mldsa_ee.pem",
    issuer: "botan/mldsa_root.pem",
    now: "2027-01-01T00:00:00Z",
    verdict: { check: "signature-algorithm" },
    about: "ML-DSA signed: fails closed as unsupported",
  },
  {
    response: "botan/slhdsa_ocsp.der",
    leaf: "botan/slhdsa_ee.pem",
    issuer: "botan/slhdsa_root.pem",
    now: "2027-01-01T00:00:00Z",
    verdict: { check: "signature-algorithm" },
    about: "SLH-DSA signed: fails closed as unsupported",
  },
  {
    response: "botan/resp2.der",
    leaf: "botan/gmail.pem",
    issuer: "botan/google_g2.pem",
    now: "2016-11-22T12:00:00Z",
    verdict: { accept: "good", signer: "issuer" },
    about: "Google Internet Authority G2, byKey",
  },
  {
    response: "botan/cli/good-issuer.der",
    leaf: "botan/cli/subject.der",
    issuer: "botan/cli/issuer.der",
    now: "2020-01-05T00:00:00Z",
    verdict: { accept: "good", signer: "issuer" },
    about: "ECDSA, nextUpdate 2037, within its first 10 days",
  },
  {
    response: "botan/cli/good-issuer.der",
    leaf: "botan/cli/subject.der",
    issuer: "botan/cli/issuer.der",
    now: "2025-06-01T00:00:00Z",
    verdict: { check: "next-update", reason: "+ 10 days, the longest clients accept" },
    about: "nextUpdate 2037 but thisUpdate 2020: expired to clients after 10 days",
  },
  {
    response: "botan/cli/good-empty.der",
    leaf: "botan/cli/subject.der",
    issuer: "botan/cli/issuer.der",
    now: "2025-06-01T00:00:00Z",
    verdict: { check: "signature" },
    about: "zero-length signature",
  },
];

// 3. pyca ------------------------------------------------------------------------

const PYCA_VECTORS: Vector[] = [
  {
    response: "pyca/resp-sha256.der",
    serialFrom: "response",
    issuer: "pyca/letsencryptx3.pem",
    now: "2018-09-01T12:00:00Z",
    verdict: { accept: "good", signer: "issuer" },
    about: "Let's Encrypt X3, sha256RSA",
  },
  {
    response: "pyca/resp-sha256.der",
    leaf: "botan/randombit.pem",
    issuer: "pyca/letsencryptx3.pem",
    now: "2018-09-01T12:00:00Z",
    verdict: { check: "cert-id", reason: "not for this certificate" },
    about: "validly signed but for another certificate of the same CA",
  },
  {
    response: "pyca/resp-invalid-signature-oid.der",
    serialFrom: "response",
    issuer: "pyca/letsencryptx3.pem",
    now: "2018-09-01T12:00:00Z",
    verdict: { check: "signature-algorithm", reason: "1.2.840.113549.1.1.2" },
    about: "signature algorithm changed to md2WithRSAEncryption",
  },
  {
    response: "pyca/resp-unknown-hash-alg.der",
    serialFrom: "response",
    issuer: "pyca/letsencryptx3.pem",
    now: "2018-09-01T12:00:00Z",
    verdict: { check: "cert-id", reason: "unknown CertID hash algorithm 1.3.14.3.2.26.17" },
    about: "CertID hash algorithm unknown",
  },
  {
    response: "pyca/resp-unauthorized.der",
    leaf: "botan/randombit.pem",
    issuer: "pyca/letsencryptx3.pem",
    now: "2018-09-01T12:00:00Z",
    verdict: { responderStatus: "unauthorized" },
    about: "responseStatus unauthorized",
  },
  {
    response: "pyca/resp-successful-no-response-bytes.der",
    leaf: "botan/randombit.pem",
    issuer: "pyca/letsencryptx3.pem",
    now: "2018-09-01T12:00:00Z",
    verdict: { check: "response-status", reason: "without a response body" },
    about: "successful without responseBytes",
  },
  {
    response: "pyca/resp-unknown-response-status.der",
    leaf: "botan/randombit.pem",
    issuer: "pyca/letsencryptx3.pem",
    now: "2018-09-01T12:00:00Z",
    // VECTORS.md says 4; the file holds 7 (30 03 0a 01 07). Both are undefined.
    verdict: { check: "response-status", reason: "undefined responseStatus 7" },
    about: "an undefined responseStatus",
  },
  {
    response: "pyca/resp-response-type-unknown-oid.der",
    leaf: "botan/randombit.pem",
    issuer: "pyca/letsencryptx3.pem",
    now: "2018-09-01T12:00:00Z",
    verdict: { check: "response-type", reason: "1.3.6.1.5.5.7.48.1.50000" },
    about: "responseType not id-pkix-ocsp-basic",
  },
  {
    // The Camerfirma issuer is not in the vectors: the response's own CertID
    // is used, and its delegated responder, embedded in the response, stands
    // in as the issuer so that every check before the status passes on real
    // bytes.
    response: "pyca/resp-delegate-unknown-cert.der",
    certIdFrom: "response",
    issuer: "embedded",
    now: "2018-09-01T18:00:00Z",
    verdict: { check: "status", reason: "status unknown" },
    about: "status unknown (the embedded responder standing in as the issuer)",
  },
  {
    // As above, the embedded QuoVadis responder stands in for the issuer.
    response: "pyca/resp-revoked-reason.der",
    certIdFrom: "response",
    issuer: "embedded",
    now: "2018-09-02T12:00:00Z",
    verdict: { accept: "revoked", signer: "issuer", reason: "superseded" },
    about: "revoked, reason superseded, with a nonce we did not ask for",
  },
  {
    response: "pyca/resp-unknown-extension.der",
    certIdFrom: "response",
    issuer: "embedded",
    now: "2018-09-02T12:00:00Z",
    verdict: { check: "signature" },
    about: "the same with the nonce OID changed after signing",
  },
  {
    response: "pyca/resp-sct-extension.der",
    certIdFrom: "response",
    issuer: "embedded",
    now: "2019-11-17T12:00:00Z",
    verdict: { accept: "good", signer: "issuer" },
    about: "good with a non-critical SCT single extension",
  },
  {
    // The CertID comes from the vector's own request; the cert-id check
    // fires before the issuer is used, so the embedded responder stands in.
    response: "pyca/ocsp-army.deps.mil-resp.der",
    certIdFrom: "pyca/ocsp-army.valid-req.der",
    issuer: "embedded",
    now: "2018-09-01T18:00:00Z",
    verdict: { check: "cert-id", reason: "HAProxy accepts only one" },
    about: "20 SingleResponses, ours among them",
  },
];

// 4. go-x-crypto -----------------------------------------------------------------

const GO_VECTORS: Vector[] = [
  {
    response: "go-x-crypto/ocspResponse.der",
    serialFrom: "response",
    issuer: "go-x-crypto/GTS_CA_1C3.pem",
    now: "2021-11-10T12:00:00Z",
    verdict: { accept: "good", signer: "issuer" },
    about: "GTS CA 1C3, byKey, sha256RSA",
  },
  {
    response: "go-x-crypto/ocspResponseWithExtension.der",
    serialFrom: "response",
    issuer: "go-x-crypto/responderCert.der",
    now: "2016-01-01T00:00:00Z",
    verdict: {
      check: "der",
      reason:
        "BasicOCSPResponse is not strict DER (BER encoding or explicitly encoded DEFAULT values)",
    },
    about: "explicitly encodes the DEFAULT version v1",
  },
  {
    response: "go-x-crypto/ocspResponseWithCriticalExtension.der",
    serialFrom: "response",
    issuer: "go-x-crypto/responderCert.der",
    now: "2016-01-01T00:00:00Z",
    verdict: {
      check: "der",
      reason:
        "BasicOCSPResponse is not strict DER (BER encoding or explicitly encoded DEFAULT values)",
    },
    about: "critical unknown extension, and the DEFAULT version encoded",
  },
  {
    response: "go-x-crypto/errorResponse.der",
    leaf: "go-x-crypto/leafCert.der",
    issuer: "go-x-crypto/issuerCert.der",
    now: "2013-06-01T00:00:00Z",
    verdict: { responderStatus: "malformedRequest" },
    about: "responseStatus malformedRequest",
  },
];

if (!requirePeer(folderPresent(), `the OCSP vectors folder ${VECTORS.pathname}`)) {
  Deno.test({
    ignore: true,
    name: "OCSP vectors from ../shared/ocsp-vectors (vectors folder missing)",
    fn() {},
  });
} else {
  for (const v of [...OPENSSL_VECTORS, ...BOTAN_VECTORS, ...PYCA_VECTORS, ...GO_VECTORS]) {
    Deno.test(describe(v), () => assertVerdict(v));
  }
}
