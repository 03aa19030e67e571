/**
 * The usual OCSPResponse, recognised without a parse: `successful`, of type
 * id-pkix-ocsp-basic, in DER (RFC 6960 §4.2.1):
 *
 * ```text
 * SEQUENCE { ENUMERATED 0, [0] { SEQUENCE { OID id-pkix-ocsp-basic, OCTET STRING basic } } }
 * ```
 *
 * A response is that exactly when it equals the DER written around its last
 * bytes; then parsing and re-encoding it (the strict-DER check) would give
 * the same status, type and BasicOCSPResponse, and they need not be made.
 * Anything else (another status, another type, BER, trailing bytes) is left
 * to the full check, which says what is wrong.
 *
 * @module
 */
import * as asn1js from "asn1js";
import { id_pkix_ocsp_basic } from "@peculiar/asn1-ocsp";
import { bytesEqual } from "../certs/mod.ts";
import { concatBytes, tlv } from "./_der_tlv.ts";

/** responseStatus successful: ENUMERATED 0. */
const SUCCESSFUL = new Uint8Array([0x0a, 0x01, 0x00]);

/** id-pkix-ocsp-basic, as asn1js encodes it. */
const BASIC_TYPE = new Uint8Array(
  new asn1js.ObjectIdentifier({ value: id_pkix_ocsp_basic }).toBER(),
);

/** Bytes of a DER tag and length for `n` content bytes. */
function headerSize(n: number): number {
  let size = 2;
  if (n >= 0x80) { for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) size++; }
  return size;
}

/** How many bytes the DER wrapper around a BasicOCSPResponse of `n` bytes takes. */
function wrapperSize(n: number): number {
  const octets = headerSize(n) + n;
  const bytes = headerSize(BASIC_TYPE.length + octets) + BASIC_TYPE.length + octets;
  const tagged = headerSize(bytes) + bytes;
  const body = SUCCESSFUL.length + tagged;
  return headerSize(body) + body - n;
}

/**
 * The DER of a successful id-pkix-ocsp-basic OCSPResponse around `basic`.
 *
 * @param basic The BasicOCSPResponse bytes.
 * @returns The OCSPResponse.
 *
 * @example
 * ```ts
 * import { successfulResponse } from "./_successful.ts";
 * const der = successfulResponse(new Uint8Array([0x30, 0x00]));
 * console.assert(der.length === 24 && der[0] === 0x30);
 * ```
 */
export function successfulResponse(basic: Uint8Array): Uint8Array {
  return tlv(
    0x30,
    concatBytes(SUCCESSFUL, tlv(0xa0, tlv(0x30, concatBytes(BASIC_TYPE, tlv(0x04, basic))))),
  );
}

/**
 * The BasicOCSPResponse in `der` when `der` is exactly
 * {@linkcode successfulResponse} of it; otherwise undefined.
 *
 * @param der An OCSPResponse (or anything).
 * @returns The BasicOCSPResponse bytes (a view into `der`), or undefined.
 *
 * @example
 * ```ts
 * import { successfulBasicOf, successfulResponse } from "./_successful.ts";
 * const basic = new Uint8Array([0x30, 0x00]);
 * console.assert(successfulBasicOf(successfulResponse(basic))?.length === 2);
 * console.assert(successfulBasicOf(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x03])) === undefined);
 * ```
 */
export function successfulBasicOf(der: Uint8Array): Uint8Array | undefined {
  // The wrapper takes 22 bytes, and up to 4 more for each of its 5 lengths.
  for (let at = 22; at <= 22 + 5 * 4 && at < der.length; at++) {
    if (wrapperSize(der.length - at) !== at) continue;
    const basic = der.subarray(at);
    return bytesEqual(successfulResponse(basic), der) ? basic : undefined;
  }
  return undefined;
}
