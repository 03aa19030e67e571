/**
 * fetchCaIssuer() and leafCaIssuers(): what a caIssuers answer may be (a DER
 * or PEM certificate that issued and signed the leaf) and how every other
 * answer is refused (PKCS#7 from `openssl crl2pkcs7`, an HTML page, another
 * CA, a body over the cap, an HTTP error: the last two are retried as a
 * missing issuer).
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { TestCa } from "../../scripts/lib/pki.ts";
import { fetchCaIssuer, leafCaIssuers, MAX_ISSUER_BYTES } from "../../src/certs/aia_issuer.ts";
import { CertIssuerMissingError, CertValidationError } from "../../src/errors/mod.ts";
import { hasCommand } from "../_helpers/net.ts";

const URL_ = "http://127.0.0.1:9/ca.der";
const root = await TestCa.root("Unit AIA Root");
const ca = await root.intermediate("Unit AIA CA");
const other = await root.intermediate("Unit AIA CA");
const issued = await ca.leaf("unit.aia.test", {
  ocspUrls: ["http://127.0.0.1:9/ocsp"],
  caIssuersUrls: [URL_],
});
const leaf = new X509Certificate(issued.der);

function serving(body: Uint8Array | string, init: ResponseInit = {}): typeof fetch {
  return () => Promise.resolve(new Response(body as BodyInit, init));
}

Deno.test("leafCaIssuers() finds the leaf of a bundle and its caIssuers URL", () => {
  const bundle = new TextEncoder().encode(issued.pem + ca.pem);
  const found = leafCaIssuers("/x/site.pem", bundle);
  assert.deepEqual(found.urls, [URL_]);
  assert.equal(found.leaf.serialNumber, leaf.serialNumber);
});

Deno.test("fetchCaIssuer() takes a DER or a PEM certificate that signed the leaf", async () => {
  for (const body of [ca.der, ca.pem]) {
    const got = await fetchCaIssuer("/x/site.pem", leaf, URL_, { fetch: serving(body) });
    assert.equal(got.pem, ca.pem);
  }
});

Deno.test("fetchCaIssuer() refuses a CA of the same name that did not sign the leaf", async () => {
  await assert.rejects(
    fetchCaIssuer("/x/site.pem", leaf, URL_, { fetch: serving(other.der) }),
    (err) =>
      err instanceof CertValidationError &&
      err.message ===
        `/x/site.pem: the caIssuers URL ${URL_} answered with no usable issuer: "CN=Unit AIA CA, O=stapled tests" did not sign "CN=unit.aia.test"; nothing written`,
  );
});

Deno.test({
  name: "fetchCaIssuer() refuses a PKCS#7 certs-only answer (openssl crl2pkcs7) by name",
  ignore: !(await hasCommand("openssl")),
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, ca.pem);
    for (const form of ["DER", "PEM"]) {
      const out = await new Deno.Command("openssl", {
        args: ["crl2pkcs7", "-nocrl", "-certfile", `${dir}/ca.pem`, "-outform", form],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success);
      await assert.rejects(
        fetchCaIssuer("/x/site.pem", leaf, URL_, { fetch: serving(out.stdout) }),
        (err) =>
          err instanceof CertValidationError &&
          err.reason.includes(`it is a PKCS#7`) && err.reason.includes(`(${form})`),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchCaIssuer() refuses an HTML page as neither DER nor PEM", async () => {
  await assert.rejects(
    fetchCaIssuer("/x/site.pem", leaf, URL_, { fetch: serving("<html>portal</html>") }),
    (err) =>
      err instanceof CertValidationError &&
      err.reason.endsWith("it is neither a DER nor a PEM certificate; nothing written"),
  );
});

Deno.test("fetchCaIssuer(): an HTTP error or a body over the cap is a missing issuer, retried later", async () => {
  await assert.rejects(
    fetchCaIssuer("/x/site.pem", leaf, URL_, {
      fetch: serving("gone", { status: 404, statusText: "Not Found" }),
    }),
    (err) => err instanceof CertIssuerMissingError && err.reason.endsWith(": HTTP 404 Not Found"),
  );
  await assert.rejects(
    fetchCaIssuer("/x/site.pem", leaf, URL_, {
      fetch: serving(new Uint8Array(MAX_ISSUER_BYTES + 1)),
    }),
    (err) =>
      err instanceof CertIssuerMissingError &&
      err.reason.endsWith(`exceeds the ${MAX_ISSUER_BYTES}-byte cap`),
  );
});
