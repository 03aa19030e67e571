import assert from "node:assert/strict";
import { TestCa } from "../../scripts/lib/pki.ts";
import { isMustStaple, tlsFeatures } from "../../src/certs/must_staple.ts";
import { hasCommand } from "../_helpers/net.ts";
import { featuredLeaf } from "./_featured_leaf.ts";

const ca = await TestCa.root("Must-Staple Test CA");

Deno.test("isMustStaple() is true for a leaf whose TLS feature extension lists status_request", async () => {
  const leaf = await featuredLeaf(ca, "ms.example.test", { tlsFeatures: [5] });
  assert.deepEqual(tlsFeatures(leaf.der), [5]);
  assert.equal(isMustStaple(leaf.der), true);
});

Deno.test("isMustStaple() is false without the extension, or when it lists other features only", async () => {
  const plain = await featuredLeaf(ca, "plain.example.test");
  assert.equal(tlsFeatures(plain.der), undefined);
  assert.equal(isMustStaple(plain.der), false);
  const other = await featuredLeaf(ca, "other.example.test", { tlsFeatures: [17, 300] });
  assert.deepEqual(tlsFeatures(other.der), [17, 300]);
  assert.equal(isMustStaple(other.der), false);
  const both = await featuredLeaf(ca, "both.example.test", { tlsFeatures: [17, 5] });
  assert.equal(isMustStaple(both.der), true);
});

Deno.test("tlsFeatures() throws a RangeError on truncated DER; isMustStaple() says false", async () => {
  const leaf = await featuredLeaf(ca, "t.example.test", { tlsFeatures: [5] });
  assert.throws(() => tlsFeatures(leaf.der.subarray(0, 100)), RangeError);
  assert.equal(isMustStaple(leaf.der.subarray(0, 100)), false);
  assert.equal(isMustStaple(new Uint8Array()), false);
});

Deno.test({
  name: "isMustStaple() agrees with OpenSSL's tlsfeature=status_request",
  ignore: !await hasCommand("openssl"),
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [ext, want] of [["tlsfeature=status_request", true], [
        "keyUsage=digitalSignature",
        false,
      ]] as const
    ) {
      const out = await new Deno.Command("openssl", {
        args: [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-keyout",
          `${dir}/k.pem`,
          "-subj",
          "/CN=o.test",
          "-days",
          "1",
          "-addext",
          ext,
          "-outform",
          "DER",
          "-out",
          `${dir}/c.der`,
        ],
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      assert.equal(isMustStaple(await Deno.readFile(`${dir}/c.der`)), want, ext);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
