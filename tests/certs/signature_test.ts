/**
 * Signature values and algorithm parameters read as strictly as OpenSSL
 * reads them (src/certs/signature.ts): ECDSA-Sig-Value encodings and
 * RSASSA-PSS parameters, byte by byte. The end-to-end agreement with
 * `openssl ocsp` is in tests/ocsp/openssl_agreement_test.ts.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import {
  ecdsaDerToRaw,
  InvalidAlgorithmParametersError,
  MalformedSignatureError,
  SIGNATURE_OIDS,
  signatureScheme,
} from "../../src/certs/mod.ts";
import { generateKeys } from "../../scripts/lib/pki.ts";

/** An ECDSA-Sig-Value from the content bytes of r and s. */
function sigValue(r: number[], s: number[], extra: number[] = []): Uint8Array {
  const body = [0x02, r.length, ...r, 0x02, s.length, ...s];
  return new Uint8Array([0x30, body.length, ...body, ...extra]);
}

function refused(der: Uint8Array, reason: RegExp, size = 32): void {
  assert.throws(() => ecdsaDerToRaw(der, size), (err: unknown) => {
    assert.ok(err instanceof MalformedSignatureError, String(err));
    assert.match(err.message, reason);
    return true;
  });
}

Deno.test("ecdsaDerToRaw() reads minimal positive INTEGERs, with a sign byte where the high bit is set", () => {
  const raw = ecdsaDerToRaw(sigValue([0x00, 0x80, 0x01], [0x7f]), 2);
  assert.deepEqual([...raw], [0x80, 0x01, 0x00, 0x7f]);
});

Deno.test("ecdsaDerToRaw() refuses every encoding that is not DER, as OpenSSL does", () => {
  refused(sigValue([0x00, 0x01], [0x01]), /r has a needless leading zero/);
  refused(sigValue([0x01], [0x00, 0x00, 0x81]), /s has a needless leading zero/);
  refused(sigValue([0x80, 0x01], [0x01]), /r is a negative INTEGER/);
  refused(sigValue([0x01], [0xff]), /s is a negative INTEGER/);
  refused(sigValue([], [0x01]), /r is an empty INTEGER/);
  refused(sigValue([0x01], [0x01], [0x00]), /not a DER ECDSA-Sig-Value/);
  const good = sigValue([0x01], [0x01]);
  refused(new Uint8Array([0x30, 0x81, ...good.subarray(1)]), /not a DER ECDSA-Sig-Value/);
  // An INTEGER with a long-form length inside the SEQUENCE.
  refused(
    new Uint8Array([0x30, 0x07, 0x02, 0x81, 0x01, 0x01, 0x02, 0x01, 0x01]),
    /not a DER ECDSA-Sig-Value/,
  );
  refused(new Uint8Array([0x30, 0x80, ...good.subarray(2), 0x00, 0x00]), /not a DER/);
  refused(sigValue([0x01, 0x02, 0x03], [0x01]), /r is longer than the curve's 2 bytes/, 2);
});

async function spki(kind: "rsa" | "ed25519"): Promise<SubjectPublicKeyInfo> {
  const keys = await generateKeys(kind);
  const der = await crypto.subtle.exportKey("spki", keys.publicKey);
  return AsnConvert.parse(der, SubjectPublicKeyInfo);
}

const spkiEd = await spki("ed25519");

Deno.test("signatureScheme() takes RSASSA-PSS defaults from an empty SEQUENCE (SHA-1, MGF1-SHA-1, salt 20)", async () => {
  const scheme = signatureScheme(
    new AlgorithmIdentifier({
      algorithm: SIGNATURE_OIDS.rsassaPss,
      parameters: new Uint8Array([0x30, 0x00]).buffer,
    }),
    await spki("rsa"),
  );
  assert.equal(scheme.hash, "SHA-1");
  assert.deepEqual(scheme.verifyParams, { name: "RSA-PSS", saltLength: 20 });
});

Deno.test("signatureScheme() refuses Ed25519 with parameters (RFC 8410: absent)", () => {
  assert.throws(
    () =>
      signatureScheme(
        new AlgorithmIdentifier({ algorithm: SIGNATURE_OIDS.ed25519, parameters: null }),
        spkiEd,
      ),
    (err: unknown) => {
      assert.ok(err instanceof InvalidAlgorithmParametersError, String(err));
      assert.match(err.message, /invalid Ed25519 parameters: present/);
      return true;
    },
  );
  assert.equal(
    signatureScheme(new AlgorithmIdentifier({ algorithm: SIGNATURE_OIDS.ed25519 }), spkiEd).name,
    "Ed25519",
  );
});
