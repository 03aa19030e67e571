import assert from "node:assert/strict";
import { staplePathFor } from "../../src/staples/mod.ts";

Deno.test("staplePathFor() appends .ocsp by default", () => {
  assert.equal(staplePathFor("/etc/ssl/site.pem"), "/etc/ssl/site.pem.ocsp");
  assert.equal(staplePathFor("/etc/ssl/site.crt", "append"), "/etc/ssl/site.crt.ocsp");
});

Deno.test("staplePathFor() with ssl-load-extra-del-ext drops only a .crt extension", () => {
  assert.equal(staplePathFor("/etc/ssl/site.crt", "replace-ext"), "/etc/ssl/site.ocsp");
  assert.equal(staplePathFor("/etc/ssl/site.pem", "replace-ext"), "/etc/ssl/site.pem.ocsp");
  assert.equal(staplePathFor("/etc/ssl.crt/site", "replace-ext"), "/etc/ssl.crt/site.ocsp");
  assert.equal(staplePathFor("/etc/ssl/site.crt.rsa", "replace-ext"), "/etc/ssl/site.crt.rsa.ocsp");
});
