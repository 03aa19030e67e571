import assert from "node:assert/strict";
import { parseShowSslCert } from "../../../src/haproxy/runtime/mod.ts";

Deno.test("parseShowSslCert() lists the files HAProxy 2.6 prints", () => {
  const reply = "# filename\n/etc/haproxy/a.pem\n/etc/haproxy/sp ace/c;d.pem\n";
  assert.deepEqual(parseShowSslCert(reply), {
    files: ["/etc/haproxy/a.pem", "/etc/haproxy/sp ace/c;d.pem"],
    transaction: null,
  });
});

Deno.test("parseShowSslCert() names the file of an open transaction without listing it twice", () => {
  const reply =
    "# transaction\n*/etc/haproxy/a.pem\n# filename\n/etc/haproxy/a.pem\n/etc/haproxy/b.pem";
  assert.deepEqual(parseShowSslCert(reply), {
    files: ["/etc/haproxy/a.pem", "/etc/haproxy/b.pem"],
    transaction: "/etc/haproxy/a.pem",
  });
});

Deno.test("parseShowSslCert() reads an empty store as no files", () => {
  assert.deepEqual(parseShowSslCert("# filename"), { files: [], transaction: null });
});
