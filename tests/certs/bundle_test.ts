import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import {
  CertCache,
  certificatesIn,
  hasOcsp,
  parseBundle,
  readBundle,
  splitPem,
  toPem,
} from "../../src/certs/mod.ts";
import {
  CertFileAccessError,
  CertParsingError,
  CertValidationError,
} from "../../src/errors/mod.ts";

const root = await TestCa.root("Bundle Root");
const ca = await root.intermediate("Bundle CA");
const otherCa = await root.intermediate("Other CA");
const OCSP = { ocspUrls: ["http://127.0.0.1:9/ocsp", "http://127.0.0.1:10/ocsp"] };
const leaf = await ca.leaf("www.bundle.test", OCSP);
const dir = await Deno.makeTempDir({ prefix: "stapled-bundle-" });
const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("a HAProxy bundle in any order yields the leaf, its issuer, serial and OCSP URLs", async () => {
  const key = await leaf.keyPem();
  for (
    const text of [
      leaf.pem + ca.pem + key,
      key + ca.pem + leaf.pem,
      ca.pem + key + leaf.pem + root.pem,
    ]
  ) {
    const bundle = await parseBundle("/x/site.pem", enc(text));
    assert.ok(hasOcsp(bundle));
    assert.equal(bundle.leaf.serialHex, leaf.serial.replace(/^(00)+/, "").toLowerCase());
    assert.equal(bundle.leaf.subject, "CN=www.bundle.test");
    assert.deepEqual(bundle.ocspUrls, OCSP.ocspUrls);
    assert.equal(bundle.issuer.subject, "CN=Bundle CA, O=stapled tests");
    assert.equal(bundle.issuerSource, "bundle");
  }
});

Deno.test("a DER certificate with its issuer in <file>.issuer is read", async () => {
  await Deno.writeFile(`${dir}/site.der`, leaf.der);
  await Deno.writeTextFile(`${dir}/site.der.issuer`, ca.pem);
  const bundle = await readBundle(`${dir}/site.der`);
  assert.ok(hasOcsp(bundle));
  assert.equal(bundle.issuerSource, "issuer-file");
});

Deno.test("issuer certificates are parsed once and shared by their bytes", async () => {
  const cache = new CertCache();
  const a = await parseBundle("a.pem", enc(leaf.pem + ca.pem), { cache });
  const other = await ca.leaf("other.bundle.test", OCSP);
  const b = await parseBundle("b.pem", enc(other.pem + ca.pem), { cache });
  assert.ok(hasOcsp(a) && hasOcsp(b));
  assert.equal(a.issuer, b.issuer);
  assert.equal(cache.size, 1, "only the issuer is kept, never a leaf");
});

Deno.test("a certificate without an OCSP URL is reported as such, not as an error", async () => {
  const plain = await ca.leaf("plain.bundle.test");
  const bundle = await parseBundle("plain.pem", enc(plain.pem)); // no issuer needed either
  assert.equal(hasOcsp(bundle), false);
  assert.equal(bundle.ocspUrls.length, 0);
});

Deno.test("a file without a certificate is a CertParsingError naming the file", async () => {
  await assert.rejects(parseBundle("key-only.pem", enc(await leaf.keyPem())), (err: unknown) => {
    assert.ok(err instanceof CertParsingError);
    assert.equal(err.message, "key-only.pem: no certificate found (no CERTIFICATE PEM block)");
    return true;
  });
  await assert.rejects(parseBundle("empty.pem", new Uint8Array()), /empty\.pem: file is empty/);
});

Deno.test("corrupt PEM and DER are CertParsingErrors that say what is wrong", async () => {
  const broken = leaf.pem.replace(/\n[A-Za-z0-9+/]{10}/, "\n!!!!!!!!!!");
  await assert.rejects(
    parseBundle("broken.pem", enc(broken + ca.pem)),
    /broken\.pem: corrupt PEM: CERTIFICATE block at line 1/,
  );
  await assert.rejects(
    parseBundle("junk.der", new Uint8Array([0x30, 0x03, 1, 2, 3])),
    (err: unknown) => {
      assert.ok(err instanceof CertParsingError);
      assert.match(err.message, /^junk\.der: corrupt certificate: not a valid X\.509 certificate/);
      return true;
    },
  );
  const truncated = toPem("CERTIFICATE", leaf.der.subarray(0, 200));
  await assert.rejects(parseBundle("short.pem", enc(truncated)), CertParsingError);
});

Deno.test("two leaves in one file are refused", async () => {
  const second = await ca.leaf("second.bundle.test", OCSP);
  await assert.rejects(
    parseBundle("two.pem", enc(leaf.pem + second.pem + ca.pem)),
    /two\.pem: several leaf certificates \("CN=www\.bundle\.test", "CN=second\.bundle\.test"\)/,
  );
});

Deno.test("a missing issuer is a CertParsingError that mentions <file>.issuer", async () => {
  await assert.rejects(parseBundle(`${dir}/lonely.pem`, enc(leaf.pem)), (err: unknown) => {
    assert.ok(err instanceof CertParsingError);
    assert.match(
      err.message,
      /issuer missing: .* neither in the bundle nor in .*lonely\.pem\.issuer/,
    );
    return true;
  });
});

Deno.test("an issuer that did not sign the leaf is a CertValidationError", async () => {
  // Same name as the real issuer, different key: the signature cannot verify.
  const impostorRoot = await TestCa.root("Impostor Root");
  const impostor = await impostorRoot.issue("Bundle CA", { ca: true });
  const text = leaf.pem + impostor.pem;
  await assert.rejects(parseBundle("forged.pem", enc(text)), (err: unknown) => {
    assert.ok(err instanceof CertValidationError);
    assert.match(err.message, /forged\.pem: the issuer .* did not sign "CN=www\.bundle\.test"/);
    return true;
  });
  await Deno.writeTextFile(`${dir}/wrong.pem`, leaf.pem);
  await Deno.writeTextFile(`${dir}/wrong.pem.issuer`, otherCa.pem);
  await assert.rejects(
    readBundle(`${dir}/wrong.pem`),
    /wrong\.pem\.issuer holds .*Other CA.*, not the issuer of/,
  );
});

Deno.test("an expired leaf is a CertValidationError with its expiry date", async () => {
  const old = await ca.leaf("old.bundle.test", {
    ...OCSP,
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2020-04-01T00:00:00Z"),
  });
  await assert.rejects(
    parseBundle("old.pem", enc(old.pem + ca.pem)),
    /old\.pem: certificate "CN=old\.bundle\.test" expired on 2020-04-01T00:00:00\.000Z/,
  );
});

Deno.test("an unreadable certificate file is a CertFileAccessError", async () => {
  await assert.rejects(readBundle(`${dir}/missing.pem`), (err: unknown) => {
    assert.ok(err instanceof CertFileAccessError);
    assert.match(err.message, /missing\.pem: cannot read certificate file/);
    return true;
  });
});

Deno.test("PEM blocks are split in order with their labels and lines", async () => {
  const blocks = splitPem(`junk\n${leaf.pem}${await leaf.keyPem()}`);
  assert.deepEqual(blocks.map((b) => [b.label, b.line]), [["CERTIFICATE", 2], [
    "PRIVATE KEY",
    blocks[1].line,
  ]]);
  assert.equal(certificatesIn("x", enc(leaf.pem + ca.pem)).length, 2);
});

Deno.test("a bundle written by writeBundle round-trips", async () => {
  await writeBundle(`${dir}/rt.pem`, leaf, [ca]);
  const bundle = await readBundle(`${dir}/rt.pem`);
  assert.ok(hasOcsp(bundle));
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
