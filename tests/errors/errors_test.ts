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
