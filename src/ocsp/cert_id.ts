/**
 * The OCSP CertID (RFC 6960 §4.1.1) of a certificate: hash algorithm, hash of
 * the issuer's name, hash of the issuer's key, serial number. stapled always
 * uses SHA-1, because HAProxy finds staples by their SHA-1 CertID.
 *
 * @module
 */
import "reflect-metadata";
import { OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { CertID } from "@peculiar/asn1-ocsp";
import type { ParsedCert } from "../certs/mod.ts";
import { bytesEqual, toHex } from "../certs/mod.ts";

/** id-sha1 (RFC 3279 §2.2.1), the CertID hash HAProxy requires. */
export const ID_SHA1 = "1.3.14.3.2.26";

/** Hash OIDs a CertID may use, with their WebCrypto names. */
export const CERT_ID_HASHES: Readonly<Record<string, string>> = {
  [ID_SHA1]: "SHA-1",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

/** A CertID as plain fields. */
export interface CertId {
  /** The hash algorithm OID. */
  hashAlgorithm: string;
  /** Hash of the issuer's subject Name DER. */
  issuerNameHash: Uint8Array;
  /** Hash of the issuer's subjectPublicKey bits. */
  issuerKeyHash: Uint8Array;
  /** Serial number content bytes of the certificate. */
  serialNumber: Uint8Array;
}

/**
 * Computes the SHA-1 CertID of the certificate with `serial` issued by `issuer`.
 *
 * @param issuer The issuing CA (its hashes are memoized).
 * @param serial The certificate's serial number bytes.
 * @returns The CertID.
 *
 * @example
 * ```ts
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * import { ParsedCert } from "../certs/mod.ts";
 * const ca = await TestCa.root("Example CA");
 * const leaf = ParsedCert.parse((await ca.leaf("www.example.test")).der);
 * const id = await certIdFor(ParsedCert.parse(ca.der), leaf.serial);
 * console.assert(id.hashAlgorithm === ID_SHA1 && id.issuerKeyHash.length === 20);
 * ```
 */
export async function certIdFor(issuer: ParsedCert, serial: Uint8Array): Promise<CertId> {
  return {
    hashAlgorithm: ID_SHA1,
    issuerNameHash: await issuer.nameHash("SHA-1"),
    issuerKeyHash: await issuer.keyHash("SHA-1"),
    serialNumber: serial,
  };
}

/**
 * Converts a CertId to its ASN.1 structure, with the hash algorithm's
 * parameters NULL, as OpenSSL (and so HAProxy) encodes it: HAProxy's CLI
 * refuses a response whose CertID differs in any byte from the one it
 * computes.
 *
 * @param id The CertID fields.
 * @returns The ASN.1 CertID.
 *
 * @example SHA-1 with NULL parameters
 * ```ts
 * import { toAsnCertId, ID_SHA1 } from "./cert_id.ts";
 * const asn = toAsnCertId({
 *   hashAlgorithm: ID_SHA1,
 *   issuerNameHash: new Uint8Array(20),
 *   issuerKeyHash: new Uint8Array(20),
 *   serialNumber: new Uint8Array([1]),
 * });
 * console.assert(asn.hashAlgorithm.parameters === null);
 * ```
 */
export function toAsnCertId(id: CertId): CertID {
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: id.hashAlgorithm, parameters: null }),
    issuerNameHash: new OctetString(id.issuerNameHash),
    issuerKeyHash: new OctetString(id.issuerKeyHash),
    serialNumber: id.serialNumber.slice().buffer,
  });
}

/**
 * Reads an ASN.1 CertID into plain fields.
 *
 * @param asn The ASN.1 CertID.
 * @returns The fields.
 */
export function fromAsnCertId(asn: CertID): CertId {
  return {
    hashAlgorithm: asn.hashAlgorithm.algorithm,
    issuerNameHash: new Uint8Array(asn.issuerNameHash.buffer),
    issuerKeyHash: new Uint8Array(asn.issuerKeyHash.buffer),
    serialNumber: new Uint8Array(asn.serialNumber),
  };
}

/**
 * Whether two CertIDs name the same certificate: same hash algorithm, name
 * hash, key hash and serial. The serial is compared as the DER INTEGER's
 * content bytes, as HAProxy and OpenSSL compare it: 0x80ff (the negative
 * -32513) is not 0x0080ff.
 *
 * @param a One CertID.
 * @param b The other.
 * @returns True when all four fields match.
 *
 * @example A serial differing only by its sign byte is another certificate
 * ```ts
 * import { certIdEquals, ID_SHA1 } from "./cert_id.ts";
 * const id = (serial: number[]) => ({
 *   hashAlgorithm: ID_SHA1,
 *   issuerNameHash: new Uint8Array(20),
 *   issuerKeyHash: new Uint8Array(20),
 *   serialNumber: new Uint8Array(serial),
 * });
 * console.assert(!certIdEquals(id([0x00, 0x80, 0xff]), id([0x80, 0xff])));
 * console.assert(certIdEquals(id([0x00, 0x80, 0xff]), id([0x00, 0x80, 0xff])));
 * ```
 */
export function certIdEquals(a: CertId, b: CertId): boolean {
  return a.hashAlgorithm === b.hashAlgorithm &&
    bytesEqual(a.issuerNameHash, b.issuerNameHash) &&
    bytesEqual(a.issuerKeyHash, b.issuerKeyHash) &&
    bytesEqual(a.serialNumber, b.serialNumber);
}

/**
 * The serial of a CertID as hex, for messages: the DER INTEGER's content
 * bytes as they are (a sign byte shows, so 0080ff and 80ff differ).
 *
 * @param id The CertID.
 * @returns Lower-case hex.
 */
export function serialHexOf(id: CertId): string {
  return toHex(id.serialNumber);
}
