import assert from "node:assert/strict";
import { decodeBase64, encodeBase64, splitPem, toPem } from "../../src/certs/pem.ts";
import { toHex } from "../../src/certs/parsed_cert.ts";

Deno.test("encodeBase64() and decodeBase64() round-trip 100 KB, as OpenSSL encodes it", async () => {
  const bytes = new Uint8Array(100_000).map((_, i) => (i * 7919) % 256 ^ (i >> 8));
  const text = encodeBase64(bytes);
  const openssl = await new Deno.Command("openssl", {
    args: ["base64", "-A"],
    stdin: "piped",
    stdout: "piped",
  })
    .spawn();
  const writer = openssl.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  const out = await openssl.output();
  assert.equal(text, new TextDecoder().decode(out.stdout).trim());
  assert.deepEqual(decodeBase64(text.replace(/(.{64})/g, "$1\n")), bytes);
});

Deno.test("decodeBase64() refuses text that is not strict base64", () => {
  for (const bad of ["AQL", "AQ=L", "AQL*", "A===", "AQL/="]) {
    assert.equal(decodeBase64(bad), undefined, bad);
  }
  assert.deepEqual(decodeBase64(" AQ\r\nL/ "), new Uint8Array([1, 2, 255]));
  assert.deepEqual(decodeBase64(""), new Uint8Array());
});

Deno.test("a PEM block written by toPem() is read back by splitPem()", () => {
  const der = crypto.getRandomValues(new Uint8Array(700));
  const [block] = splitPem(toPem("CERTIFICATE", der));
  assert.equal(block.label, "CERTIFICATE");
  assert.deepEqual(block.der, der);
});

Deno.test("toHex() writes two lower-case digits per byte", () => {
  assert.equal(toHex(new Uint8Array([0, 9, 10, 171, 255])), "00090aabff");
  assert.equal(toHex(new Uint8Array()), "");
});
