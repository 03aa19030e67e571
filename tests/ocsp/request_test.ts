/**
 * The OCSP requests stapled sends (src/ocsp/request.ts): the CertID is the
 * one HAProxy computes, SHA-1 with NULL parameters, so the responder answers
 * with a CertID HAProxy's CLI accepts.
 */
import assert from "node:assert/strict";
import { ParsedCert } from "../../src/certs/mod.ts";
import { certIdFor, encodeOcspRequest } from "../../src/ocsp/mod.ts";
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
