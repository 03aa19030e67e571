/**
 * The OCSP requests stapled sends (src/ocsp/request.ts): the CertID is the
 * one HAProxy computes, SHA-1 with NULL parameters, so the responder answers
 * with a CertID HAProxy's CLI accepts.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { AsnConvert } from "@peculiar/asn1-schema";
import { OCSPRequest, Request, TBSRequest } from "@peculiar/asn1-ocsp";
import { ParsedCert } from "../../src/certs/mod.ts";
import { certIdFor, encodeOcspRequest } from "../../src/ocsp/mod.ts";
import { CERT_ID_HASHES, type CertId, toAsnCertId } from "../../src/ocsp/cert_id.ts";
import { TestCa } from "../../scripts/lib/pki.ts";
import { toHex } from "../../src/certs/mod.ts";
import { hasCommand } from "../_helpers/net.ts";

const root = await TestCa.root("Request Root");
const ca = await root.intermediate("Request CA");
const leaf = await ca.leaf("request.example.test", { serial: "0080ff" });
const certId = await certIdFor(ParsedCert.parse(ca.der), ParsedCert.parse(leaf.der).serial);

Deno.test("encodeOcspRequest() writes SHA-1 with NULL parameters and the serial's DER bytes", () => {
  const hex = toHex(encodeOcspRequest(certId));
  // AlgorithmIdentifier { id-sha1, NULL }
  assert.ok(hex.includes("300906052b0e03021a0500"), hex);
  // INTEGER 0x0080ff, sign byte kept
  assert.ok(hex.endsWith("02030080ff"), hex);
});

Deno.test({
  name: "encodeOcspRequest() gives the request OpenSSL builds for the same certificate",
  ignore: !(await hasCommand("openssl")),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-request-" });
  try {
    await Deno.writeTextFile(`${dir}/issuer.pem`, ca.pem);
    await Deno.writeTextFile(`${dir}/leaf.pem`, leaf.pem);
    const out = await new Deno.Command("openssl", {
      args: [
        "ocsp",
        "-issuer",
        `${dir}/issuer.pem`,
        "-cert",
        `${dir}/leaf.pem`,
        "-no_nonce",
        "-reqout",
        `${dir}/req.der`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.deepEqual(encodeOcspRequest(certId), await Deno.readFile(`${dir}/req.der`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The request as @peculiar's serializer writes it (what encodeOcspRequest() did for every request). */
function peculiarRequest(id: CertId): Uint8Array {
  const tbs = new TBSRequest({ requestList: [new Request({ reqCert: toAsnCertId(id) })] });
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
}

Deno.test("encodeOcspRequest() writes the bytes @peculiar writes, for every CertID hash and serial length", () => {
  let seed = 13;
  const byte = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 256;
  const hashes = Object.entries(CERT_ID_HASHES);
  const sizes: Record<string, number> = {
    "SHA-1": 20,
    "SHA-256": 32,
    "SHA-384": 48,
    "SHA-512": 64,
  };
  let compared = 0;
  for (const [oid, name] of hashes) {
    for (let length = 1; length <= 140; length++) {
      const serial = Uint8Array.from({ length }, byte);
      if (length % 3 === 0) serial[0] = 0x00; // a sign byte
      if (length % 5 === 0) serial[0] |= 0x80;
      const id: CertId = {
        hashAlgorithm: oid,
        issuerNameHash: Uint8Array.from({ length: sizes[name] }, byte),
        issuerKeyHash: Uint8Array.from({ length: sizes[name] }, byte),
        serialNumber: serial,
      };
      assert.deepEqual(encodeOcspRequest(id), peculiarRequest(id), `${name}, serial of ${length}`);
      compared++;
    }
  }
  assert.equal(compared, 4 * 140);
});

Deno.test("encodeOcspRequest() writes a CertID with another hash, and a nonce, through @peculiar", () => {
  const md5: CertId = { ...certId, hashAlgorithm: "1.2.840.113549.2.5" };
  assert.deepEqual(encodeOcspRequest(md5), peculiarRequest(md5));
  const nonce = new Uint8Array(32).fill(7);
  const hex = toHex(encodeOcspRequest(certId, { nonce }));
  assert.ok(hex.includes(`0422${"0420"}${"07".repeat(32)}`), hex); // OCTET STRING { OCTET STRING nonce }
});
