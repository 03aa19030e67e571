/**
 * stapled's validator and OpenSSL agree (issue 8, item 4): every response the
 * test responder (scripts/lib/ocsp_responder.ts) builds, for every key kind
 * the test PKI makes and signed by the CA or by a delegated responder,
 * verifies in `openssl ocsp` and in validateOcspResponse; and every signature
 * encoding OpenSSL refuses (ECDSA values that are not DER, broken RSASSA-PSS
 * parameters) is refused by both. Many ECDSA responses are made, so r and s
 * with the high bit set (a sign byte in DER) occur.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { ECDSASigValue } from "@peculiar/asn1-ecc";
import { id_mgf1, id_sha1, id_sha256, RsaSaPssParams } from "@peculiar/asn1-rsa";
import { type Issued, type KeyKind, TestCa } from "../../scripts/lib/pki.ts";
import { buildOcspResponse, type ResponseSpec } from "../../scripts/lib/ocsp_responder.ts";
import { ParsedCert } from "../../src/certs/mod.ts";
import { OcspBadResponse } from "../../src/errors/mod.ts";
import { type CertId, certIdFor, validateOcspResponse } from "../../src/ocsp/mod.ts";
import { hasCommand } from "../_helpers/net.ts";
import { assertOpensslAccepts, assertOpensslRejects } from "../_helpers/openssl_verify.ts";

const haveOpenssl = await hasCommand("openssl");
const HOUR = 3_600_000;

/** A CA of one key kind with a leaf and a delegated responder of the same kind. */
interface Pki {
  root: TestCa;
  ca: TestCa;
  leaf: Issued;
  responder: Issued;
  issuer: ParsedCert;
  certId: CertId;
}

async function pki(key: KeyKind): Promise<Pki> {
  const root = await TestCa.root(`Agreement ${key} Root`, { key });
  const ca = await root.intermediate(`Agreement ${key} CA`, { key });
  const leaf = await ca.leaf(`${key}.agreement.test`, { key: "ec" });
  const responder = await ca.responder(`Agreement ${key} Responder`, { key });
  const issuer = ParsedCert.parse(ca.der);
  const certId = await certIdFor(issuer, ParsedCert.parse(leaf.der).serial);
  return { root, ca, leaf, responder, issuer, certId };
}

let built = 0;

/**
 * Each call signs different bytes (thisUpdate a second earlier than the
 * last): WebCrypto's ECDSA signatures are deterministic, so equal inputs
 * would give one signature many times over.
 */
function build(p: Pki, extra: Partial<ResponseSpec> = {}): Promise<Uint8Array> {
  const now = Date.now();
  return buildOcspResponse({
    signer: p.ca,
    singles: [{
      certId: p.certId,
      thisUpdate: new Date(now - HOUR - 1000 * built++),
      nextUpdate: new Date(now + 48 * HOUR),
    }],
    ...extra,
  });
}

function validate(p: Pki, der: Uint8Array) {
  return validateOcspResponse(der, {
    file: "agreement.pem",
    certId: p.certId,
    issuer: p.issuer,
    now: new Date(),
  });
}

/** Both verifiers refuse `der`; stapled with `check`, OpenSSL with output matching `openssl`. */
async function bothRefuse(
  p: Pki,
  der: Uint8Array,
  check: "signature" | "signature-algorithm",
  message: RegExp,
  openssl: RegExp,
): Promise<void> {
  await assert.rejects(validate(p, der), (err: unknown) => {
    assert.ok(err instanceof OcspBadResponse, String(err));
    assert.equal(err.check, check, err.message);
    assert.match(err.message, message);
    return true;
  });
  const output = await assertOpensslRejects(der, { leaf: p.leaf, issuer: p.ca, root: p.root });
  assert.match(output, openssl);
}

const KINDS: { key: KeyKind; count: number }[] = [
  { key: "rsa", count: 4 },
  { key: "rsa-pss", count: 4 },
  { key: "ec", count: 40 },
  { key: "ec384", count: 40 },
  { key: "ed25519", count: 4 },
];

Deno.test({
  name: "every response the test responder signs verifies in openssl ocsp and in stapled alike",
  ignore: !haveOpenssl,
}, async (t) => {
  for (const { key, count } of KINDS) {
    const p = await pki(key);
    for (const signer of ["issuer", "delegated"] as const) {
      await t.step(`${key}, signed by the ${signer}: ${count} responses`, async () => {
        for (let i = 0; i < count; i++) {
          const der = await build(
            p,
            signer === "issuer" ? {} : { signer: p.responder, certs: [p.responder] },
          );
          const result = await validate(p, der);
          assert.equal(result.status, "good");
          assert.equal(result.signer, signer);
          await assertOpensslAccepts(der, { leaf: p.leaf, issuer: p.ca, root: p.root });
        }
      });
    }
  }
});

/** Rewrites an ECDSA-Sig-Value's r through `change`; undefined when it does not apply. */
function withR(
  sig: Uint8Array,
  change: (r: Uint8Array) => Uint8Array | undefined,
): Uint8Array | undefined {
  const value = AsnConvert.parse(sig, ECDSASigValue);
  const r = change(new Uint8Array(value.r));
  if (!r) return undefined;
  value.r = r.slice().buffer;
  return new Uint8Array(AsnConvert.serialize(value));
}

/** Builds responses until `mangle` applies to the signature (e.g. r needs its high bit set). */
async function mangled(
  p: Pki,
  mangle: (sig: Uint8Array) => Uint8Array | undefined,
): Promise<Uint8Array> {
  for (let i = 0; i < 64; i++) {
    let applied = false;
    const der = await build(p, {
      mangleSignature: (sig) => {
        const out = mangle(sig);
        applied = out !== undefined;
        return out ?? sig;
      },
    });
    if (applied) return der;
  }
  throw new Error("Cannot make the malformed signature: no signature it applies to in 64 tries");
}

Deno.test({
  name: "ECDSA signature values that are not DER are refused by stapled and by OpenSSL",
  ignore: !haveOpenssl,
}, async (t) => {
  const p = await pki("ec");
  const failure = /ocsp_verify:signature failure/;

  await t.step("a needless leading zero in r", async () => {
    const der = await mangled(p, (sig) => withR(sig, (r) => new Uint8Array([0, ...r])));
    await bothRefuse(p, der, "signature", /r has a needless leading zero byte/, failure);
  });

  await t.step("r with its high bit set but no sign byte (a negative INTEGER)", async () => {
    const der = await mangled(
      p,
      (sig) => withR(sig, (r) => r[0] === 0 && r[1] & 0x80 ? r.subarray(1) : undefined),
    );
    await bothRefuse(p, der, "signature", /r is a negative INTEGER/, failure);
  });

  await t.step("trailing bytes after the SEQUENCE", async () => {
    const der = await mangled(p, (sig) => new Uint8Array([...sig, 0x00]));
    await bothRefuse(p, der, "signature", /not a DER ECDSA-Sig-Value/, failure);
  });

  await t.step("a long-form length where the short form applies", async () => {
    const der = await mangled(
      p,
      (sig) => sig[1] < 0x80 ? new Uint8Array([0x30, 0x81, ...sig.subarray(1)]) : undefined,
    );
    await bothRefuse(p, der, "signature", /not a DER ECDSA-Sig-Value/, failure);
  });
});

function pssParams(fields: Partial<RsaSaPssParams>): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(
    new RsaSaPssParams({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: id_sha256, parameters: null }),
      maskGenAlgorithm: mgf1(id_sha256),
      saltLength: 32,
      ...fields,
    }),
  ));
}

function mgf1(hash: string): AlgorithmIdentifier {
  return new AlgorithmIdentifier({
    algorithm: id_mgf1,
    parameters: AsnConvert.serialize(
      new AlgorithmIdentifier({ algorithm: hash, parameters: null }),
    ),
  });
}

Deno.test({
  name: "RSASSA-PSS parameters OpenSSL refuses are refused by stapled too",
  ignore: !haveOpenssl,
}, async (t) => {
  const p = await pki("rsa-pss");
  const invalid = /invalid pss parameters/i;

  await t.step("the parameters as the responder writes them verify (the control)", async () => {
    const der = await build(p, { signatureParameters: pssParams({}) });
    assert.equal((await validate(p, der)).status, "good");
    await assertOpensslAccepts(der, { leaf: p.leaf, issuer: p.ca, root: p.root });
  });

  await t.step("MGF1 with another hash than the signature's", async () => {
    const der = await build(p, {
      signatureParameters: pssParams({ maskGenAlgorithm: mgf1(id_sha1) }),
    });
    await bothRefuse(
      p,
      der,
      "signature-algorithm",
      /invalid RSASSA-PSS parameters: MGF1 uses SHA-1 but the signature hash is SHA-256/,
      /signature failure/,
    );
  });

  await t.step("a mask generation function that is not MGF1", async () => {
    const der = await build(p, {
      signatureParameters: pssParams({
        maskGenAlgorithm: new AlgorithmIdentifier({
          algorithm: "1.2.840.113549.1.1.9",
          parameters: mgf1(id_sha256).parameters,
        }),
      }),
    });
    await bothRefuse(p, der, "signature-algorithm", /is not MGF1/, invalid);
  });

  await t.step("trailerField 2", async () => {
    const der = await build(p, { signatureParameters: pssParams({ trailerField: 2 }) });
    await bothRefuse(p, der, "signature-algorithm", /trailerField 2 is not 1/, /invalid trailer/i);
  });

  await t.step("a negative saltLength", async () => {
    const der = await build(p, { signatureParameters: pssParams({ saltLength: -1 }) });
    await bothRefuse(p, der, "signature-algorithm", /saltLength -1 is negative/, invalid);
  });

  await t.step("a saltLength other than the one signed with", async () => {
    const der = await build(p, { signatureParameters: pssParams({ saltLength: 20 }) });
    await bothRefuse(p, der, "signature", /does not verify/, /signature failure/);
  });

  await t.step("parameters missing, NULL, or not a SEQUENCE", async () => {
    for (const signatureParameters of [null, new Uint8Array([0x05, 0x00])]) {
      await bothRefuse(
        p,
        await build(p, { signatureParameters }),
        "signature-algorithm",
        /invalid RSASSA-PSS parameters: missing/,
        invalid,
      );
    }
    await bothRefuse(
      p,
      await build(p, { signatureParameters: new Uint8Array([0x02, 0x01, 0x00]) }),
      "signature-algorithm",
      /not a DER RSASSA-PSS-params SEQUENCE/,
      invalid,
    );
  });

  await t.step("MGF1 without its hash AlgorithmIdentifier", async () => {
    const der = await build(p, {
      signatureParameters: pssParams({
        maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1 }),
      }),
    });
    await bothRefuse(p, der, "signature-algorithm", /MGF1 parameters are not/, invalid);
  });

  await t.step(
    "trailerField 1 written out is not DER and refused (OpenSSL tolerates it)",
    async () => {
      // DER leaves DEFAULT values out (X.690 §11.5); append [3] INTEGER 1 by hand.
      const params = pssParams({});
      const explicit = new Uint8Array([
        0x30,
        params[1] + 5,
        ...params.subarray(2),
        0xa3,
        0x03,
        0x02,
        0x01,
        0x01,
      ]);
      const der = await build(p, { signatureParameters: explicit });
      await assert.rejects(validate(p, der), (err: unknown) => {
        assert.ok(err instanceof OcspBadResponse, String(err));
        assert.equal(err.check, "signature-algorithm");
        assert.match(err.message, /DEFAULT values written out/);
        return true;
      });
      await assertOpensslAccepts(der, { leaf: p.leaf, issuer: p.ca, root: p.root });
    },
  );
});
