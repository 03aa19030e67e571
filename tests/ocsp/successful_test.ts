/**
 * Issue 13 item 2: the usual OCSPResponse wrapper (successful,
 * id-pkix-ocsp-basic, DER) is recognised by comparing it with the DER
 * written around its last bytes (src/ocsp/_successful.ts); everything else
 * goes to the full parse, whose refusals tests/ocsp/validate_test.ts checks.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  id_pkix_ocsp_basic,
  OCSPResponse,
  OCSPResponseStatus,
  ResponseBytes,
} from "@peculiar/asn1-ocsp";
import { successfulBasicOf, successfulResponse } from "../../src/ocsp/_successful.ts";

function peculiarResponse(
  basic: Uint8Array,
  status = OCSPResponseStatus.successful,
  type = id_pkix_ocsp_basic,
) {
  return new Uint8Array(AsnConvert.serialize(
    new OCSPResponse({
      responseStatus: status,
      responseBytes: new ResponseBytes({ responseType: type, response: new OctetString(basic) }),
    }),
  ));
}

const LENGTHS = [
  1,
  2,
  100,
  101,
  102,
  103,
  104,
  105,
  106,
  107,
  108,
  127,
  128,
  200,
  255,
  256,
  1000,
  65_000,
  65_535,
  65_536,
  70_000,
];

function inner(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + length) % 256);
}

Deno.test("successfulResponse() writes the bytes @peculiar writes for a successful basic response, at every length form", () => {
  for (const length of LENGTHS) {
    assert.deepEqual(
      successfulResponse(inner(length)),
      peculiarResponse(inner(length)),
      `${length}`,
    );
  }
});

Deno.test("successfulBasicOf() finds the BasicOCSPResponse of the DER wrapper, at every length form", () => {
  for (const length of LENGTHS) {
    const basic = inner(length);
    assert.deepEqual(successfulBasicOf(peculiarResponse(basic)), basic, `${length}`);
  }
});

Deno.test("successfulBasicOf() leaves everything else to the full parse: other statuses and types, BER, extra bytes", () => {
  const basic = inner(300);
  const der = peculiarResponse(basic);
  const cases: Record<string, Uint8Array> = {
    "tryLater with a body": peculiarResponse(basic, OCSPResponseStatus.tryLater),
    "status only": new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x03]),
    "successful without a body": new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]),
    "another response type": peculiarResponse(basic, 0, "1.3.6.1.5.5.7.48.1.50000"),
    "trailing bytes": new Uint8Array([...der, 0x00, 0x00]),
    "bytes missing": der.subarray(0, der.length - 1),
    "an outer length in a needless extra byte": new Uint8Array([
      0x30,
      0x83,
      0x00,
      ...der.subarray(2),
    ]),
    "an empty BasicOCSPResponse": peculiarResponse(new Uint8Array()),
    "nothing": new Uint8Array(),
  };
  // The OCTET STRING in constructed (BER) form, one segment.
  const at = der.length - basic.length - 4; // 04 82 01 2c
  assert.equal(der[at], 0x04);
  const segment = [0x04, 0x82, 0x01, 0x2c, ...basic];
  const ber = [...der.subarray(0, at), 0x24, 0x82, 0x01, 0x30, ...segment];
  // The outer SEQUENCE, [0] and ResponseBytes lengths (all 0x82 forms) grow by 4.
  for (const low of [3, 10, 14]) ber[low] += 4;
  assert.deepEqual([ber[0], ber[7], ber[11], ber[15]], [0x30, 0xa0, 0x30, 0x06]);
  cases["a constructed OCTET STRING"] = new Uint8Array(ber);
  for (const [name, bytes] of Object.entries(cases)) {
    assert.equal(successfulBasicOf(bytes), undefined, name);
  }
});
