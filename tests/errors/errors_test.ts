import assert from "node:assert/strict";
import {
  CertParsingError,
  describeError,
  OcspBadResponse,
  StapledError,
} from "../../src/errors/mod.ts";

Deno.test("an error names its file and reason in one line", () => {
  const err = new CertParsingError("/etc/ssl/a.pem", "no certificate found");
  assert.equal(err.message, "/etc/ssl/a.pem: no certificate found");
  assert.equal(err.kind, "CertParsingError");
  assert.ok(err instanceof StapledError);
});

Deno.test("a rejected response says which check failed", () => {
  const err = new OcspBadResponse("a.pem", "signature", "does not verify");
  assert.equal(err.check, "signature");
  assert.equal(err.message, "a.pem: OCSP response rejected (signature): does not verify");
});

Deno.test("describeError() keeps one line and names the file for foreign errors", () => {
  assert.equal(describeError(new TypeError("bad\nsecond line"), "x.pem"), "x.pem: TypeError: bad");
  assert.equal(describeError("plain"), "plain");
});

Deno.test("a missing issuer is its own kind, CertIssuerMissing, and still a parsing error", async () => {
  const { CertIssuerMissingError, CertParsingError } = await import("../../src/errors/mod.ts");
  const { parseBundle } = await import("../../src/certs/mod.ts");
  const { TestCa } = await import("../../scripts/lib/pki.ts");
  const root = await TestCa.root("Kind Root");
  const ca = await root.intermediate("Kind CA");
  const leaf = await ca.leaf("orphan.example.test", { ocspUrls: ["http://127.0.0.1:9/"] });
  const err = await parseBundle("/nowhere/orphan.pem", new TextEncoder().encode(leaf.pem), {
    issuerFile: null,
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof CertIssuerMissingError, String(err));
  assert.ok(err instanceof CertParsingError);
  assert.equal(err.kind, "CertIssuerMissing");
  assert.equal(err.name, "CertIssuerMissingError");
  assert.match(err.reason, /^issuer missing: /);
});
