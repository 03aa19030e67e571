/**
 * Issue 13 item 2: the strict-DER check re-encodes only the part of a
 * delegated response that is not its (already seen, already strict)
 * certificates. Whatever else is not DER is still refused, and certificates
 * never seen strict are still compared whole. A response whose certificates
 * were seen strict is not parsed with them again: it is validated as on
 * first sight, and anything else takes the whole parse.
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
import { concatBytes, tlv } from "../../src/ocsp/_der_tlv.ts";

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

/** Where `cert`'s DER starts in `basic`. */
function certAt(basic: Uint8Array, cert: Uint8Array): number {
  const at = basic.findIndex((_, i) => cert.every((b, j) => basic[i + j] === b));
  assert.ok(at > 0, "the certificate is not in the response");
  return at;
}

/** What `validateOcspResponse` gives for `der`: the result, or the refusal's check and message. */
function outcome(der: Uint8Array, context: ValidationContext): Promise<unknown> {
  return validateOcspResponse(der, context).catch((err: unknown) => {
    assert.ok(err instanceof OcspBadResponse, String(err));
    return { check: err.check, message: err.message };
  });
}

Deno.test("validateOcspResponse() validates a delegated response whose certificates were seen strict exactly as on first sight", async () => {
  const fresh = await ca.responder("DER Responder, second sight");
  const other = await ca.responder("DER Responder, other key");
  const freshCert = ParsedCert.parse(fresh.der);
  const by = (extra: Partial<ResponseSpec>) => build({ signer: fresh, certs: [fresh], ...extra });
  const cases: [Uint8Array, ValidationContext][] = [
    [await by({ producedAt: new Date(NOW.getTime() - 60_000) }), ctx()],
    [await by({ responderId: "name" }), ctx()],
    [await by({ signingKey: other }), ctx()], // signature
    [await by({ responderName: "CN=Someone Else" }), ctx()], // responder-id
    [await by({}), { ...ctx(), now: new Date(freshCert.notAfter.getTime() + HOUR) }], // expired
    [await by({ corruptSignature: true }), ctx()], // signature
  ];
  // Every one is strict DER, so the first sight of each remembers its certificates.
  const first = [];
  for (const [der, context] of cases) first.push(await outcome(der, context));
  const checks = first.map((o) => (o as { check?: string }).check ?? "ok");
  assert.deepEqual(checks, [
    "ok",
    "ok",
    "signature",
    "responder-id",
    "signer-authorized",
    "signature",
  ]);
  // Seen again (and in the other order), each comes out exactly the same.
  for (const i of [5, 4, 3, 2, 1, 0]) {
    assert.deepEqual(await outcome(cases[i][0], cases[i][1]), first[i], `case ${i}`);
  }
  const again = await validateOcspResponse(cases[0][0], ctx());
  assert.equal(again.signer, "delegated");
  assert.equal(again.signerNotAfter.getTime(), freshCert.notAfter.getTime());
});

Deno.test("validateOcspResponse() refuses an included certificate as der when it differs from one seen strict only by its BER", async () => {
  const good = await build();
  await validateOcspResponse(good, ctx());
  const basic = basicOf(good);
  const at = certAt(basic, responder.der);
  // basicConstraints critical BOOLEAN TRUE written 0x01 (BER) instead of 0xff:
  // the same length, the same value, not DER.
  const boolean = responder.der.findIndex((b, i, d) =>
    b === 0x01 && d[i + 1] === 0x01 && d[i + 2] === 0xff
  );
  assert.ok(boolean > 0, "the certificate has no BOOLEAN TRUE");
  const ber = basic.slice();
  ber[at + boolean + 2] = 0x01;
  await refusedAsDer(wrapBasic(ber), /BasicOCSPResponse is not strict DER/);
  // Its strict self is still accepted.
  assert.equal((await validateOcspResponse(good, ctx())).signer, "delegated");
});

Deno.test("validateOcspResponse() refuses an element after certificates seen strict", async () => {
  const good = await build();
  await validateOcspResponse(good, ctx());
  const basic = basicOf(good);
  const head = basic[1] < 0x80 ? 2 : 2 + (basic[1] & 0x7f);
  const contents = basic.subarray(head);
  const extra = tlv(0x30, concatBytes(contents, new Uint8Array([0x05, 0x00])));
  await refusedAsDer(wrapBasic(extra), /BasicOCSPResponse/);
  // The certificates field twice.
  const at = certAt(basic, responder.der) - 8; // [0] 82 hi lo, SEQUENCE 82 hi lo
  assert.equal(basic[at], 0xa0);
  const twice = tlv(0x30, concatBytes(contents, basic.subarray(at)));
  await refusedAsDer(wrapBasic(twice), /BasicOCSPResponse/);
});
