import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { TestCa } from "../../scripts/lib/pki.ts";
import { CertCache, hasOcsp, parseBundle, ParsedCert } from "../../src/certs/mod.ts";
import { LeafCert } from "../../src/certs/leaf_cert.ts";
import { CertValidationError } from "../../src/errors/mod.ts";

const root = await TestCa.root("Leaf Root");
const ca = await root.intermediate("Leaf CA");
const rsaCa = await root.intermediate("Leaf RSA CA", { key: "rsa" });
const OCSP = { ocspUrls: ["http://127.0.0.1:9/ocsp", "http://127.0.0.1:10/ocsp"] };
const enc = (s: string) => new TextEncoder().encode(s);

function randomSerialHex(): string {
  const n = 1 + Math.floor(Math.random() * 20);
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return bytes.toHex();
}

Deno.test("a leaf read the cheap way has the same serial bytes as the full parse, for any serial", async () => {
  const serials = [
    "01",
    "7f",
    "80",
    "ff",
    "0080",
    "00ff",
    "0001",
    "8000000000000000000000000000000000000001",
    "7fffffffffffffffffffffffffffffffffffffff",
  ];
  for (let i = 0; i < 60; i++) serials.push(randomSerialHex());
  // Half the random ones with the high bit set, some with leading zero bytes.
  for (let i = 0; i < 20; i++) {
    serials.push("8" + randomSerialHex().slice(1), "00" + randomSerialHex());
  }
  const cache = new CertCache();
  for (const serial of serials) {
    const leaf = await ca.leaf("www.leaf.test", { ...OCSP, serial });
    const cheap = LeafCert.tryParse(leaf.der);
    assert.ok(cheap, `serial ${serial} is read the cheap way`);
    const full = ParsedCert.parse(leaf.der);
    assert.deepEqual(cheap.serial, full.serial, `serial ${serial}`);
    assert.equal(cheap.serialHex, full.serialHex, `serial ${serial}`);
    const bundle = await parseBundle("/x.pem", enc(leaf.pem + ca.pem), { cache });
    assert.ok(hasOcsp(bundle));
    assert.deepEqual(bundle.leaf.serial, full.serial);
    // Independently: node's hex serial (no sign, no leading zeros) names the same number.
    const nodeHex = new X509Certificate(leaf.der).serialNumber.toLowerCase().replace(
      /^(00)+(?=.)/,
      "",
    );
    assert.equal(
      cheap.serialHex.replace(/^0(?=.)/, ""),
      nodeHex.replace(/^0(?=.)/, ""),
      `serial ${serial}`,
    );
  }
});

Deno.test("a leaf read the cheap way has the fields of the full parse (EC and RSA issuers, CAs)", async () => {
  const certs = [
    (await ca.leaf("www.leaf.test", OCSP)).der,
    (await rsaCa.leaf("rsa.leaf.test", { ocspUrls: ["http://127.0.0.1:11/"] })).der,
    (await root.leaf("no-ocsp.leaf.test")).der,
    // URIs node's infoAccess text would not mirror: the full parse decides.
    (await ca.leaf("odd.leaf.test", {
      ocspUrls: ["http://127.0.0.1:9/a b", "http://x/\nOCSP - URI:http://evil/", "http://ok/"],
    })).der,
    ca.der,
    rsaCa.der,
    root.der,
  ];
  for (const der of certs) {
    const cheap = LeafCert.tryParse(der);
    assert.ok(cheap);
    const full = ParsedCert.parse(der);
    assert.deepEqual(cheap.tbsDer, full.tbsDer);
    assert.deepEqual(cheap.issuerDer, full.issuerDer);
    assert.deepEqual(cheap.subjectDer, full.subjectDer);
    assert.equal(cheap.subject, full.subject);
    assert.equal(cheap.isCA, full.isCA);
    assert.deepEqual(cheap.ocspUrls, full.ocspUrls);
    assert.equal(cheap.notBefore.getTime(), full.notBefore.getTime());
    assert.equal(cheap.notAfter.getTime(), full.notAfter.getTime());
  }
  const rsaLeaf = LeafCert.tryParse((await rsaCa.leaf("rsa2.leaf.test", OCSP)).der)!;
  assert.equal(await rsaLeaf.isIssuedBy(ParsedCert.parse(rsaCa.der)), true);
  assert.equal(await rsaLeaf.isIssuedBy(ParsedCert.parse(ca.der)), false);
});

/** The leaf's DER with the last occurrence of `from` replaced by `to` (same length). */
function patchLast(der: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const out = der.slice();
  for (let i = der.length - from.length; i >= 0; i--) {
    if (from.every((b, j) => der[i + j] === b)) {
      out.set(to, i);
      return out;
    }
  }
  throw new Error("pattern not found");
}

Deno.test("a leaf whose outer signature algorithm differs from the signed one is refused", async () => {
  const leaf = await ca.leaf("alg.leaf.test", OCSP);
  // ecdsa-with-SHA256 -> ecdsa-with-SHA384 in the outer (unsigned) AlgorithmIdentifier only.
  const sha256 = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);
  const sha384 = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03);
  const der = patchLast(leaf.der, sha256, sha384);
  await assert.rejects(
    parseBundle("/alg.pem", enc(pemOf(der) + ca.pem), { cache: new CertCache() }),
    (err) => err instanceof CertValidationError && /did not sign/.test(err.message),
  );
});

Deno.test("a leaf with a broken signature is refused", async () => {
  const leaf = await ca.leaf("sig.leaf.test", OCSP);
  const der = leaf.der.slice();
  der[der.length - 3] ^= 0x01;
  await assert.rejects(
    parseBundle("/sig.pem", enc(pemOf(der) + ca.pem), { cache: new CertCache() }),
    (err) => err instanceof CertValidationError && /did not sign/.test(err.message),
  );
});

Deno.test("bytes that are not a certificate are left to the full parse", () => {
  assert.equal(LeafCert.tryParse(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)), undefined);
  assert.equal(LeafCert.tryParse(new Uint8Array(0)), undefined);
});

function pemOf(der: Uint8Array): string {
  const b64 = btoa(String.fromCharCode(...der)).replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

Deno.test("a leaf's facts read with it are those status reads from disk (subject, SANs, Must-Staple)", async () => {
  const { featuredLeaf } = await import("./_featured_leaf.ts");
  const { leafFacts } = await import("../../src/daemon/health_from_disk.ts");
  for (const mustStaple of [true, false]) {
    const leaf = await featuredLeaf(ca, "facts.example.test", {
      ocspUrls: OCSP.ocspUrls,
      tlsFeatures: mustStaple ? [5] : [],
      dns: ["facts.example.test", "www.facts.example.test"],
    });
    const cheap = LeafCert.tryParse(leaf.der)!;
    const disk = leafFacts([leaf.der], cheap.serialHex, cheap.ocspUrls)!;
    assert.deepEqual(cheap.facts, { subject: disk.subject, san: disk.san, mustStaple });
    assert.equal(disk.mustStaple, mustStaple);
  }
});
