/**
 * Builds the DER OCSPRequest for one CertID (RFC 6960 §4.1), unsigned, with
 * an optional nonce extension (RFC 8954).
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Extension } from "@peculiar/asn1-x509";
import { id_pkix_ocsp_nonce, OCSPRequest, Request, TBSRequest } from "@peculiar/asn1-ocsp";
import { type CertId, toAsnCertId } from "./cert_id.ts";

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
