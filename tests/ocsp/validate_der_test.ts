/**
 * Issue 13 item 2: the strict-DER check re-encodes only the part of a
 * delegated response that is not its (already seen, already strict)
 * certificates. Whatever else is not DER is still refused, and certificates
 * never seen strict are still compared whole.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { AsnConvert } from "@peculiar/asn1-schema";
import { OCSPResponse } from "@peculiar/asn1-ocsp";
import { TestCa } from "../../scripts/lib/pki.ts";
import {
  buildOcspResponse,
  type ResponseSpec,
  wrapBasic,
} from "../../scripts/lib/ocsp_responder.ts";
import { ParsedCert } from "../../src/certs/mod.ts";
import { OcspBadResponse } from "../../src/errors/mod.ts";
import { certIdFor, validateOcspResponse, type ValidationContext } from "../../src/ocsp/mod.ts";

const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const HOUR = 3_600_000;

const root = await TestCa.root("DER Root");
const ca = await root.intermediate("DER CA");
const responder = await ca.responder("DER Responder");
const issuer = ParsedCert.parse(ca.der);
const leaf = ParsedCert.parse((await ca.leaf("der.example.test")).der);
const certId = await certIdFor(issuer, leaf.serial);

function ctx(): ValidationContext {
  return { file: "site.pem", certId, issuer, now: NOW };
}

function build(extra: Partial<ResponseSpec> = {}): Promise<Uint8Array> {
  return buildOcspResponse({
    signer: responder,
    certs: [responder],
    singles: [{
      certId,
      thisUpdate: new Date(NOW.getTime() - HOUR),
      nextUpdate: new Date(NOW.getTime() + 72 * HOUR),
    }],
    producedAt: NOW,
    ...extra,
  });
}

function basicOf(der: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.parse(der, OCSPResponse).responseBytes!.response.buffer);
}

/** `der` (a DER SEQUENCE) with its length written in one more byte than DER allows. */
function longerLength(der: Uint8Array): Uint8Array {
  const count = der[1] & 0x7f;
  assert.ok(der[1] & 0x80, "expected a long-form length");
  return new Uint8Array([0x30, 0x80 | (count + 1), 0x00, ...der.subarray(2)]);
}

async function refusedAsDer(der: Uint8Array, message: RegExp): Promise<void> {
  await assert.rejects(validateOcspResponse(der, ctx()), (err: unknown) => {
    assert.ok(err instanceof OcspBadResponse, String(err));
    assert.equal(err.check, "der", err.message);
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("validateOcspResponse() still refuses a delegated response that is not DER once its certificates were seen strict", async () => {
  const good = await build();
  assert.equal((await validateOcspResponse(good, ctx())).signer, "delegated");
  assert.equal((await validateOcspResponse(await build(), ctx())).signer, "delegated");
  const basic = basicOf(good);
  // Trailing bytes after the BasicOCSPResponse, inside its OCTET STRING.
  await refusedAsDer(
    wrapBasic(new Uint8Array([...basic, 0, 0])),
    /BasicOCSPResponse has 2 trailing bytes/,
  );
  // The BasicOCSPResponse's own length in a needless extra byte.
  await refusedAsDer(wrapBasic(longerLength(basic)), /BasicOCSPResponse is not strict DER/);
  // A time that is not DER, in the signed part, beside the same certificates.
  await refusedAsDer(
    await build({ rewriteTimes: (t) => t.replace(/Z$/, ".1000Z") }),
    /BasicOCSPResponse is not strict DER/,
  );
});

Deno.test("validateOcspResponse() refuses included certificates that are not DER, beside ones seen strict", async () => {
  const good = await build();
  await validateOcspResponse(good, ctx());
  // The responder certificate's outer length written in a needless extra byte:
  // the certificates are not signed by the response, so only the DER check stops it.
  const cert = responder.der;
  const basic = basicOf(good);
  const at = basic.findIndex((_, i) => cert.every((b, j) => basic[i + j] === b));
  assert.ok(at > 0, "the certificate is not in the response");
  const inner = [
    ...basic.subarray(0, at),
    ...longerLength(cert),
    ...basic.subarray(at + cert.length),
  ];
  // Lengths around the certificate grow by one byte: rebuild them from the outside in.
  const certsStart = at - 8; // [0] 82 hi lo, SEQUENCE 82 hi lo
  assert.equal(basic[certsStart], 0xa0);
  const fix = (bytes: number[], start: number) => {
    const length = ((bytes[start + 2] << 8) | bytes[start + 3]) + 1;
    bytes[start + 2] = length >> 8;
    bytes[start + 3] = length & 0xff;
  };
  fix(inner, 0);
  fix(inner, certsStart);
  fix(inner, certsStart + 4);
  await refusedAsDer(wrapBasic(new Uint8Array(inner)), /BasicOCSPResponse is not strict DER/);
});
