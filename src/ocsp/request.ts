/**
 * Builds the DER OCSPRequest for one CertID (RFC 6960 §4.1), unsigned, with
 * an optional nonce extension (RFC 8954).
 *
 * One request is made per certificate, so the usual one (a CertID hash
 * stapled knows, no nonce) is written directly: five nested SEQUENCEs
 * around the CertID's fields, the AlgorithmIdentifier encoded once per hash
 * by @peculiar. The bytes are those @peculiar's serializer gives (the tests
 * compare them), in about 1/50 of its time; a request with a nonce still
 * goes through @peculiar.
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Extension } from "@peculiar/asn1-x509";
import { id_pkix_ocsp_nonce, OCSPRequest, Request, TBSRequest } from "@peculiar/asn1-ocsp";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { CERT_ID_HASHES, type CertId, toAsnCertId } from "./cert_id.ts";
import { concatBytes, tlv } from "./_der_tlv.ts";

/** The DER AlgorithmIdentifier { hash, NULL } of each CertID hash, made by @peculiar once. */
const HASH_ALGORITHM_DER = new Map<string, Uint8Array>(
  Object.keys(CERT_ID_HASHES).map((oid) => [
    oid,
    new Uint8Array(
      AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: oid, parameters: null })),
    ),
  ]),
);

/**
 * OCSPRequest { TBSRequest { requestList { Request { CertID } } } } for a
 * CertID with a known hash, or undefined (then @peculiar writes it).
 */
function encodePlainRequest(certId: CertId): Uint8Array | undefined {
  const algorithm = HASH_ALGORITHM_DER.get(certId.hashAlgorithm);
  if (!algorithm) return undefined;
  const certIdDer = tlv(
    0x30,
    concatBytes(
      algorithm,
      tlv(0x04, certId.issuerNameHash),
      tlv(0x04, certId.issuerKeyHash),
      tlv(0x02, certId.serialNumber),
    ),
  );
  return tlv(0x30, tlv(0x30, tlv(0x30, tlv(0x30, certIdDer))));
}

/** Options of {@linkcode encodeOcspRequest}. */
export interface OcspRequestOptions {
  /** Nonce bytes to include (RFC 8954 recommends 32). @default no nonce */
  nonce?: Uint8Array;
}

/**
 * Encodes an OCSP request for `certId`.
 *
 * @param certId The certificate to ask about.
 * @param options Optional nonce.
 * @returns The DER request.
 *
 * @example A request for one certificate, with a nonce
 * ```ts
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * import { ParsedCert } from "../certs/mod.ts";
 * import { certIdFor } from "./cert_id.ts";
 * const ca = await TestCa.root("Example CA");
 * const leaf = ParsedCert.parse((await ca.leaf("www.example.test")).der);
 * const certId = await certIdFor(ParsedCert.parse(ca.der), leaf.serial);
 * const der = encodeOcspRequest(certId, { nonce: makeNonce() });
 * console.assert(der[0] === 0x30); // a DER SEQUENCE
 * ```
 */
export function encodeOcspRequest(certId: CertId, options: OcspRequestOptions = {}): Uint8Array {
  if (!options.nonce) {
    const plain = encodePlainRequest(certId);
    if (plain) return plain;
  }
  const tbs = new TBSRequest({ requestList: [new Request({ reqCert: toAsnCertId(certId) })] });
  if (options.nonce) {
    tbs.requestExtensions = [
      new Extension({
        extnID: id_pkix_ocsp_nonce,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new OctetString(options.nonce))),
      }),
    ];
  }
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
}

/**
 * Makes a fresh random nonce.
 *
 * @param length Number of bytes. @default 32
 * @returns The nonce.
 *
 * @example
 * ```ts
 * console.assert(makeNonce().length === 32 && makeNonce(16).length === 16);
 * ```
 */
export function makeNonce(length = 32): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}
