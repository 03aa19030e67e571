/**
 * The validator, rule by rule: every check of src/ocsp/validate.ts broken on
 * purpose with responses built by the test's own PKI.
 */
import assert from "node:assert/strict";
import { Extension } from "@peculiar/asn1-x509";
import { OctetString } from "@peculiar/asn1-schema";
import { type Issued, type KeyKind, OCSP_SIGNING, TestCa } from "../../scripts/lib/pki.ts";
import {
  buildOcspResponse,
  nonceExtension,
  type ResponseSpec,
  type SingleSpec,
  statusOnlyResponse,
  wrapBasic,
} from "../../scripts/lib/ocsp_responder.ts";
import { ParsedCert } from "../../src/certs/mod.ts";
import { OcspBadResponse, OcspResponderError } from "../../src/errors/mod.ts";
import {
  type CertId,
  certIdFor,
  validateOcspResponse,
  type ValidationContext,
} from "../../src/ocsp/mod.ts";

const NOW = new Date(Math.floor(Date.now() / 1000) * 1000); // responses carry whole seconds
const MIN = 60_000;
const HOUR = 60 * MIN;

const root = await TestCa.root("Validate Root");
const ca = await root.intermediate("Validate CA");
const sibling = await root.intermediate("Validate Sibling CA");
const leafCert = await ca.leaf("v.example.test", { ocspUrls: ["http://127.0.0.1:1"] });
const issuer = ParsedCert.parse(ca.der);
const leaf = ParsedCert.parse(leafCert.der);
const certId = await certIdFor(issuer, leaf.serial);

function ctx(extra: Partial<ValidationContext> = {}): ValidationContext {
  return { file: "site.pem", certId, issuer, now: NOW, ...extra };
}

function single(extra: Partial<SingleSpec> = {}): SingleSpec {
  return {
    certId,
    thisUpdate: new Date(NOW.getTime() - HOUR),
    nextUpdate: new Date(NOW.getTime() + 72 * HOUR),
    ...extra,
  };
}

function build(extra: Partial<ResponseSpec> = {}): Promise<Uint8Array> {
  return buildOcspResponse({ signer: ca, singles: [single()], producedAt: NOW, ...extra });
}

async function rejects(
  der: Uint8Array,
  check: string,
  message: RegExp,
  context = ctx(),
): Promise<void> {
  await assert.rejects(validateOcspResponse(der, context), (err: unknown) => {
    assert.ok(err instanceof OcspBadResponse, `expected OcspBadResponse, got ${err}`);
    assert.equal(err.check, check, err.message);
    assert.match(err.message, message);
    assert.ok(err.message.startsWith("site.pem: OCSP response rejected ("), err.message);
    return true;
  });
}

Deno.test("a good response signed by the issuing CA is accepted, by key hash or by name", async () => {
  for (const responderId of ["key", "name"] as const) {
    const der = await build({ responderId });
    const result = await validateOcspResponse(der, ctx());
    assert.equal(result.status, "good");
    assert.equal(result.signer, "issuer");
    assert.deepEqual(result.der, der);
    assert.equal(result.nextUpdate.getTime(), single().nextUpdate!.getTime());
  }
});

Deno.test("RSA PKCS#1, RSA-PSS, ECDSA P-256 and P-384 and Ed25519 signatures verify", async () => {
  for (const key of ["rsa", "rsa-pss", "ec", "ec384", "ed25519"] as KeyKind[]) {
    const kaCa = await root.intermediate(`Alg ${key}`, { key });
    const kaIssuer = ParsedCert.parse(kaCa.der);
    const id = await certIdFor(kaIssuer, leaf.serial);
    const der = await buildOcspResponse({ signer: kaCa, singles: [single({ certId: id })] });
    const result = await validateOcspResponse(der, { ...ctx(), certId: id, issuer: kaIssuer });
    assert.equal(result.status, "good", key);
  }
});

Deno.test("a response from a delegated responder issued by the CA with id-kp-OCSPSigning is accepted", async () => {
  const responder = await ca.responder("Validate OCSP Responder");
  const result = await validateOcspResponse(
    await build({ signer: responder, certs: [responder] }),
    ctx(),
  );
  assert.equal(result.signer, "delegated");
  assert.equal(result.signerNotAfter.getTime(), responder.cert.notAfter.getTime());
});

Deno.test("a CA that includes its own certificate is still the issuer", async () => {
  const result = await validateOcspResponse(
    await build({ certs: [ca], responderId: "name" }),
    ctx(),
  );
  assert.equal(result.signer, "issuer");
});

Deno.test("a response signed by a responder without id-kp-OCSPSigning is never stapled", async () => {
  const responder = await ca.responder("No EKU", { ekus: [] });
  await rejects(
    await build({ signer: responder, certs: [responder] }),
    "signer-authorized",
    /lacks the id-kp-OCSPSigning/,
  );
  const serverAuth = await ca.responder("Server EKU", { ekus: ["1.3.6.1.5.5.7.3.1"] });
  await rejects(
    await build({ signer: serverAuth, certs: [serverAuth] }),
    "signer-authorized",
    /lacks the id-kp-OCSPSigning/,
  );
});

Deno.test("an expired or not yet valid delegated responder is never trusted", async () => {
  const expired = await ca.responder("Expired Responder", {
    notBefore: new Date(NOW.getTime() - 10 * 24 * HOUR),
    notAfter: new Date(NOW.getTime() - 24 * HOUR),
  });
  await rejects(
    await build({ signer: expired, certs: [expired] }),
    "signer-authorized",
    /expired on/,
  );
  const future = await ca.responder("Future Responder", {
    notBefore: new Date(NOW.getTime() + 24 * HOUR),
  });
  await rejects(
    await build({ signer: future, certs: [future] }),
    "signer-authorized",
    /not valid before/,
  );
});

Deno.test("a responder issued by the root, a sibling CA or itself is never trusted", async () => {
  const rootResponder = await root.responder("Root-issued Responder");
  await rejects(
    await build({ signer: rootResponder, certs: [rootResponder] }),
    "signer-authorized",
    /was not issued by the issuing CA/,
  );
  await rejects(
    await build({ signer: sibling, certs: [sibling] }),
    "signer-authorized",
    /was not issued by the issuing CA/,
  );
  await rejects(
    await build({ signer: root, certs: [root] }),
    "signer-authorized",
    /was not issued by the issuing CA/,
  );
  const selfSigned = await TestCa.root("Self-signed Responder");
  await rejects(
    await build({ signer: selfSigned, certs: [selfSigned] }),
    "signer-authorized",
    /was not issued by the issuing CA/,
  );
});

Deno.test("a responder that only claims the CA as issuer is refused", async () => {
  const forger = await TestCa.root("Forger");
  const fake = await forger.responder("Fake Responder", { issuerName: ca.cert.subject });
  await rejects(
    await build({ signer: fake, certs: [fake] }),
    "signer-authorized",
    /signature does not verify with the CA's key/,
  );
});

Deno.test("a ResponderID byName matches the CA's name as RFC 5280 compares names", async () => {
  // Case and spacing differ from the certificate's subject; the signature still decides.
  const der = await build({ responderName: "CN=validate   CA, O=Stapled Tests" });
  assert.equal((await validateOcspResponse(der, ctx())).signer, "issuer");
  await rejects(
    await build({ responderName: "CN=Validate CB, O=stapled tests" }),
    "responder-id",
    /names neither/,
  );
});

Deno.test("a ResponderID that names nobody we know is refused", async () => {
  await rejects(
    await build({ signer: sibling }),
    "responder-id",
    /names neither the issuing CA .* nor a certificate included/,
  );
  await rejects(
    await build({ signer: sibling, responderId: "name" }),
    "responder-id",
    /byName "CN=Validate Sibling CA/,
  );
});

Deno.test("a bad signature is refused", async () => {
  await rejects(
    await build({ corruptSignature: true }),
    "signature",
    /does not verify with the key of "CN=Validate CA/,
  );
  await rejects(await build({ signingKey: sibling }), "signature", /does not verify/);
});

Deno.test("unsigned algorithm parameters that no standard allows are refused", async () => {
  // The parameters sit outside the signed bytes: anyone on the path could change them.
  await rejects(
    await build({ signatureParameters: new Uint8Array([0x86, 0x00]) }),
    "signature-algorithm",
    /unexpected parameters/,
  );
});

Deno.test("a delegated responder certificate with an unknown critical extension is never trusted", async () => {
  const responder = await ca.responder("Critical Responder", { criticalExtension: "1.2.3.4.99" });
  await rejects(
    await build({ signer: responder, certs: [responder] }),
    "signer-authorized",
    /unknown critical extension 1\.2\.3\.4\.99/,
  );
});

Deno.test("a disallowed signature algorithm is refused as unsupported", async () => {
  await rejects(
    await build({ signatureOid: "1.2.840.113549.1.1.4" }),
    "signature-algorithm",
    /unsupported signature algorithm 1\.2\.840\.113549\.1\.1\.4/,
  );
});

Deno.test("a response for another certificate is refused", async () => {
  const other = await ca.leaf("other.example.test");
  const otherId = await certIdFor(issuer, ParsedCert.parse(other.der).serial);
  await rejects(
    await build({ singles: [single({ certId: otherId })] }),
    "cert-id",
    /is for serial [0-9a-f]+, not for this certificate/,
  );
  const sha256: CertId = { ...certId, hashAlgorithm: "2.16.840.1.101.3.4.2.1" };
  await rejects(
    await build({ singles: [single({ certId: sha256 })] }),
    "cert-id",
    /SHA-256 CertID; we asked with SHA-1/,
  );
  const wrongName: CertId = { ...certId, issuerNameHash: new Uint8Array(20) };
  await rejects(
    await build({ singles: [single({ certId: wrongName })] }),
    "cert-id",
    /another issuer \(issuerNameHash/,
  );
  const wrongKey: CertId = { ...certId, issuerKeyHash: new Uint8Array(20) };
  await rejects(
    await build({ singles: [single({ certId: wrongKey })] }),
    "cert-id",
    /another issuer key/,
  );
  const unknownHash: CertId = { ...certId, hashAlgorithm: "1.3.14.3.2.26.17" };
  await rejects(
    await build({ singles: [single({ certId: unknownHash })] }),
    "cert-id",
    /unknown CertID hash algorithm/,
  );
});

Deno.test("several SingleResponses are refused; conflicting duplicates say so", async () => {
  const other = await ca.leaf("extra.example.test");
  const otherId = await certIdFor(issuer, ParsedCert.parse(other.der).serial);
  await rejects(
    await build({ singles: [single(), single({ certId: otherId })] }),
    "cert-id",
    /holds 2 SingleResponses; HAProxy accepts only one/,
  );
  await rejects(
    await build({ singles: [single(), single()] }),
    "cert-id",
    /2 SingleResponses for this certificate$/,
  );
  await rejects(
    await build({ singles: [single(), single({ status: "revoked" })] }),
    "cert-id",
    /that conflict with each other/,
  );
});

Deno.test("times: thisUpdate and producedAt in the future, nextUpdate missing, past, too close or too late", async () => {
  const at = (ms: number) => new Date(NOW.getTime() + ms);
  await rejects(
    await build({ singles: [single({ thisUpdate: at(10 * MIN) })] }),
    "this-update",
    /is in the future/,
  );
  assert.equal(
    (await validateOcspResponse(
      await build({ singles: [single({ thisUpdate: at(2 * MIN) })] }),
      ctx(),
    )).status,
    "good",
  );
  await rejects(await build({ producedAt: at(10 * MIN) }), "produced-at", /is in the future/);
  await rejects(
    await build({ singles: [single({ nextUpdate: null })] }),
    "next-update",
    /no nextUpdate/,
  );
  await rejects(
    await build({ singles: [single({ nextUpdate: at(-MIN) })] }),
    "next-update",
    /response expired at/,
  );
  await rejects(
    await build({ singles: [single({ nextUpdate: at(4 * MIN) })] }),
    "next-update",
    /within 5 minutes/,
  );
  await rejects(
    await build({ singles: [single({ thisUpdate: at(-HOUR), nextUpdate: at(-2 * HOUR) })] }),
    "next-update",
    /is not after thisUpdate/,
  );
  await rejects(
    await build(),
    "next-update",
    /after the certificate expires/,
    ctx({ certNotAfter: at(HOUR) }),
  );
});

Deno.test("an unknown critical extension is refused; known or non-critical ones are fine", async () => {
  const ext = (oid: string, critical: boolean) =>
    new Extension({ extnID: oid, critical, extnValue: new OctetString(new Uint8Array([5, 0])) });
  await rejects(
    await build({ extensions: [ext("1.2.3.4.5", true)] }),
    "critical-extension",
    /unknown critical extension 1\.2\.3\.4\.5/,
  );
  await rejects(
    await build({ singles: [single({ extensions: [ext("1.2.3.4.6", true)] })] }),
    "critical-extension",
    /1\.2\.3\.4\.6/,
  );
  assert.equal(
    (await validateOcspResponse(await build({ extensions: [ext("1.2.3.4.5", false)] }), ctx()))
      .status,
    "good",
  );
});

Deno.test("a nonce we sent must come back unchanged", async () => {
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  assert.equal((await validateOcspResponse(await build({ nonce }), ctx({ nonce }))).status, "good");
  await rejects(await build(), "nonce", /carries none/, ctx({ nonce }));
  await rejects(
    await build({ nonce: new Uint8Array(32) }),
    "nonce",
    /differs from the one we sent/,
    ctx({ nonce }),
  );
  // Not sent: a nonce in the response is ignored.
  assert.equal(
    (await validateOcspResponse(await build({ extensions: [nonceExtension(nonce)] }), ctx()))
      .status,
    "good",
  );
});

Deno.test("status unknown is never stapled; revoked comes back with time and reason", async () => {
  await rejects(
    await build({ singles: [single({ status: "unknown" })] }),
    "status",
    /status unknown/,
  );
  const revokedAt = new Date(Math.floor((NOW.getTime() - 24 * HOUR) / 1000) * 1000);
  const result = await validateOcspResponse(
    await build({ singles: [single({ status: "revoked", revokedAt, reason: 1 })] }),
    ctx(),
  );
  assert.equal(result.status, "revoked");
  assert.equal(result.revocationReason, "keyCompromise");
  assert.equal(result.revocationTime?.getTime(), revokedAt.getTime());
});

Deno.test("non-successful response statuses are reported by name", async () => {
  for (
    const [code, name] of [[1, "malformedRequest"], [2, "internalError"], [3, "tryLater"], [
      5,
      "sigRequired",
    ], [6, "unauthorized"]] as const
  ) {
    await assert.rejects(validateOcspResponse(statusOnlyResponse(code), ctx()), (err: unknown) => {
      assert.ok(err instanceof OcspResponderError);
      assert.equal(err.status, name);
      assert.equal(err.message, `site.pem: OCSP responder answered ${name}`);
      return true;
    });
  }
  await rejects(statusOnlyResponse(4), "response-status", /undefined responseStatus 4/);
  await rejects(
    statusOnlyResponse(0),
    "response-status",
    /successful status without a response body/,
  );
});

Deno.test("malformed bytes, trailing data, wrong type and version are refused", async () => {
  const good = await build();
  await rejects(new Uint8Array(), "der", /empty/);
  await rejects(
    new TextEncoder().encode("<html>captive portal</html>"),
    "der",
    /not a DER OCSP response/,
  );
  await rejects(new Uint8Array([...good, 0, 0]), "der", /has 2 trailing bytes/);
  await rejects(
    await build({ responseType: "1.3.6.1.5.5.7.48.1.50000" }),
    "response-type",
    /is not id-pkix-ocsp-basic/,
  );
  await rejects(await build({ version: 1 }), "version", /unknown ResponseData version 2/);
  await rejects(wrapBasic(new Uint8Array([0x30, 0x00])), "der", /BasicOCSPResponse/);
});

Deno.test("the delegated responder's parsed certificate is reused across responses", async () => {
  const responder: Issued = await ca.responder("Cached Responder");
  const a = await validateOcspResponse(
    await build({ signer: responder, certs: [responder] }),
    ctx(),
  );
  const b = await validateOcspResponse(
    await build({ signer: responder, certs: [responder] }),
    ctx(),
  );
  assert.equal(a.signer, "delegated");
  assert.equal(b.signer, "delegated");
});

// Issue 8, item 3: a CA certificate is never a delegated responder. --------

Deno.test("a response signed by a sub-CA with id-kp-OCSPSigning is never stapled", async () => {
  // mozilla::pkix refuses a delegated responder with cA=TRUE on purpose (the
  // 2020 delegated-responder incident): such a sub-CA can answer for its siblings.
  const subCa = await ca.intermediate("Validate Sub-CA with OCSPSigning", {
    ekus: [OCSP_SIGNING],
  });
  await rejects(
    await build({ signer: subCa, certs: [subCa] }),
    "signer-authorized",
    /is a CA certificate \(basicConstraints cA=TRUE\); a delegated responder must not be one/,
  );
});

// Issue 8, item 5: CertID details HAProxy and careful clients rely on. --------

Deno.test("a response for serial 0x80ff (negative) is not one for certificate 0x0080ff", async () => {
  const positive = await ca.leaf("serial.example.test", { serial: "0080ff" });
  const parsed = ParsedCert.parse(positive.der);
  assert.deepEqual([...parsed.serial], [0x00, 0x80, 0xff]);
  const ours = await certIdFor(issuer, parsed.serial);
  const negative: CertId = { ...ours, serialNumber: new Uint8Array([0x80, 0xff]) };
  await rejects(
    await build({ singles: [single({ certId: negative })] }),
    "cert-id",
    /is for serial 80ff, not for this certificate \(serial 0080ff\)/,
    ctx({ certId: ours }),
  );
  const right = await build({ singles: [single({ certId: ours })] });
  assert.equal((await validateOcspResponse(right, ctx({ certId: ours }))).status, "good");
});

Deno.test("a CertID whose SHA-1 AlgorithmIdentifier lacks NULL parameters is refused (HAProxy refuses it)", async () => {
  await rejects(
    await build({ singles: [single({ hashParameters: "absent" })] }),
    "cert-id",
    /SHA-1 AlgorithmIdentifier has no parameters instead of NULL; HAProxy's CLI refuses/,
  );
  await rejects(
    await build({ singles: [single({ hashParameters: new Uint8Array([0x04, 0x00]) })] }),
    "cert-id",
    /has non-NULL parameters instead of NULL/,
  );
});

Deno.test("a response whose thisUpdate or nextUpdate has a fraction of a second is never stapled (HAProxy and OpenSSL ignore it)", async () => {
  // .1234Z is valid DER and parsed as such (not refused as "der"), but
  // OpenSSL's OCSP_check_validity misreads fractional times: HAProxy logs
  // "OCSP single response: no longer valid" and serves nothing.
  for (const fraction of [".1234Z", ".5Z", ".123Z"]) {
    const fine = (text: string) => text.replace(/(\.\d+)?Z$/, fraction);
    const der = await build({ rewriteTimes: fine });
    const text = new TextDecoder("latin1").decode(der);
    assert.equal(
      text.split(fraction).length - 1,
      3,
      "producedAt, thisUpdate, nextUpdate",
    );
    await rejects(der, "whole-seconds", /thisUpdate \d{14}\.\d+Z has a fraction of a second/);
  }
});

Deno.test("a response with a fraction only in its nextUpdate is never stapled", async () => {
  const nextUpdate = new Date(Math.floor(NOW.getTime() / 1000) * 1000 + 72 * HOUR);
  const nextText = nextUpdate.toISOString().replace(/[-:T]/g, "").replace(".000Z", "Z");
  const der = await build({
    singles: [single({ nextUpdate })],
    rewriteTimes: (t) => t === nextText ? t.replace("Z", ".5Z") : undefined,
  });
  await rejects(der, "whole-seconds", /nextUpdate \d{14}\.5Z has a fraction of a second/);
  // Whole seconds everywhere: stapled.
  const whole = await build({ singles: [single({ nextUpdate })] });
  assert.equal((await validateOcspResponse(whole, ctx())).status, "good");
});

Deno.test("GeneralizedTime that is not DER is still refused: trailing fraction zeros, a comma, no Z, month 13", async () => {
  for (
    const rewrite of [
      (t: string) => t.replace(/(\.\d+)?Z$/, ".12340Z"),
      (t: string) => t.replace(/(\.\d+)?Z$/, ".1000Z"),
      (t: string) => t.replace(/(\.\d+)?Z$/, ",1234Z"),
      (t: string) => t.replace(/(\.\d+)?Z$/, ".1234"),
      (t: string) => t.replace(/^(\d{4})\d{2}/, "$113").replace(/(\.\d+)?Z$/, ".1234Z"),
    ]
  ) {
    const der = await build({ rewriteTimes: rewrite });
    await assert.rejects(validateOcspResponse(der, ctx()), (err: unknown) => {
      assert.ok(err instanceof OcspBadResponse, String(err));
      assert.equal(err.check, "der", err.message);
      return true;
    });
  }
});
