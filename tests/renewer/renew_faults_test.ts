import assert from "node:assert/strict";
import { OctetString } from "@peculiar/asn1-schema";
import { Extension } from "@peculiar/asn1-x509";
import {
  OcspBadResponse,
  OcspFetchError,
  OcspResponderError,
  type OcspResponderStatus,
} from "../../src/errors/mod.ts";
import { type RenewOptions, renewStaple } from "../../src/renewer/mod.ts";
import { bytesEqual } from "../../src/certs/mod.ts";
import { TestCa } from "../../scripts/lib/pki.ts";
import {
  buildOcspResponse,
  ocspHttpResponse,
  statusOnlyResponse,
} from "../../scripts/lib/ocsp_responder.ts";
import {
  HTTP_FAULTS,
  listDir,
  makeStapleFixture,
  refusedUrl,
  serveDer,
  type StapleFixture,
  startSwitchableServer,
  type SwitchableServer,
  type TestHandler,
} from "../_helpers/fixtures.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The typed error a renewal must fail with. */
type Expected =
  | { kind: "OcspFetchError"; reason: string }
  | { kind: "OcspBadResponse"; check: string; reason?: string }
  | { kind: "OcspResponderError"; status: OcspResponderStatus };

/** One way a responder can let a renewal down. */
interface FaultCase {
  name: string;
  expected: Expected;
  /** What the responder answers. */
  handler(fx: StapleFixture, server: SwitchableServer): Promise<TestHandler> | TestHandler;
  /** The leaf's OCSP URL. @default `${server.url}/ocsp` */
  url?(server: SwitchableServer): string;
  /** Extra renewal options (timeout, nonce). */
  options?: RenewOptions;
}

async function assertRenewError(promise: Promise<unknown>, expected: Expected): Promise<void> {
  const err = await promise.then(
    () => assert.fail(`Expected ${expected.kind}`),
    (e: unknown) => e,
  );
  switch (expected.kind) {
    case "OcspFetchError":
      assert.ok(err instanceof OcspFetchError, `Expected OcspFetchError, got ${err}`);
      assert.ok(
        err.reason.includes(expected.reason),
        `"${err.reason}" does not contain "${expected.reason}"`,
      );
      break;
    case "OcspBadResponse":
      assert.ok(err instanceof OcspBadResponse, `Expected OcspBadResponse, got ${err}`);
      assert.equal(err.check, expected.check, err.message);
      if (expected.reason) {
        assert.ok(
          err.reason.includes(expected.reason),
          `"${err.reason}" does not contain "${expected.reason}"`,
        );
      }
      break;
    case "OcspResponderError":
      assert.ok(err instanceof OcspResponderError, `Expected OcspResponderError, got ${err}`);
      assert.equal(err.status, expected.status);
      break;
  }
  assert.equal(err.kind, expected.kind);
}

/** A handler serving the response `build` makes for the fixture. */
function badResponse(
  build: (fx: StapleFixture) => Promise<Uint8Array>,
): (fx: StapleFixture) => Promise<TestHandler> {
  return async (fx) => serveDer(await build(fx));
}

function criticalExtension(): Extension {
  return new Extension({
    extnID: "1.3.6.1.4.1.55555.1",
    critical: true,
    extnValue: new OctetString(new Uint8Array([5, 0])),
  });
}

const HTTP_CASES: FaultCase[] = [
  ...HTTP_FAULTS.map((fault): FaultCase => ({
    name: fault.name,
    expected: { kind: "OcspFetchError", reason: fault.reason },
    handler: (_fx, server) => fault.handler(server.gate),
    options: { timeoutMs: fault.timeoutMs ?? 5000 },
  })),
  {
    name: "a refused connection",
    expected: { kind: "OcspFetchError", reason: "cannot reach the responder" },
    handler: () => () => new Response(null, { status: 500 }),
    url: () => refusedUrl(),
  },
  {
    name: "an empty 200 body",
    expected: { kind: "OcspBadResponse", check: "der", reason: "the response is empty" },
    handler: () => serveDer(new Uint8Array()),
  },
];

const VALIDATION_CASES: FaultCase[] = [
  {
    name: "a response signed by another CA that names itself as responder",
    expected: { kind: "OcspBadResponse", check: "responder-id" },
    handler: badResponse(async (fx) =>
      buildOcspResponse({ signer: await TestCa.root("Other CA"), singles: [{ certId: fx.certId }] })
    ),
  },
  {
    name: "a response naming the issuing CA but signed with another key",
    expected: { kind: "OcspBadResponse", check: "signature" },
    handler: badResponse(async (fx) =>
      buildOcspResponse({
        signer: fx.ca,
        signingKey: await fx.ca.leaf("not-the-ca.test"),
        singles: [{ certId: fx.certId }],
      })
    ),
  },
  {
    name: "a delegated responder without the OCSPSigning EKU",
    expected: {
      kind: "OcspBadResponse",
      check: "signer-authorized",
      reason: "lacks the id-kp-OCSPSigning extended key usage",
    },
    handler: badResponse(async (fx) => {
      const responder = await fx.ca.responder("No EKU Responder", { ekus: [] });
      return buildOcspResponse({
        signer: responder,
        certs: [responder],
        singles: [{ certId: fx.certId }],
      });
    }),
  },
  {
    name: "a delegated responder issued by another CA",
    expected: {
      kind: "OcspBadResponse",
      check: "signer-authorized",
      reason: "was not issued by the issuing CA",
    },
    handler: badResponse(async (fx) => {
      const other = await TestCa.root("Other CA");
      const responder = await other.responder("Foreign Responder");
      return buildOcspResponse({
        signer: responder,
        certs: [responder, other],
        singles: [{ certId: fx.certId }],
      });
    }),
  },
  {
    name: "a delegated responder that has expired",
    expected: { kind: "OcspBadResponse", check: "signer-authorized", reason: "expired on" },
    handler: badResponse(async (fx) => {
      const now = Date.now();
      const responder = await fx.ca.responder("Expired Responder", {
        notBefore: new Date(now - 30 * DAY),
        notAfter: new Date(now - DAY),
      });
      return buildOcspResponse({
        signer: responder,
        certs: [responder],
        singles: [{ certId: fx.certId }],
      });
    }),
  },
  {
    name: "a response signed by the root above the issuing CA",
    expected: {
      kind: "OcspBadResponse",
      check: "signer-authorized",
      reason: "was not issued by the issuing CA",
    },
    handler: badResponse((fx) =>
      buildOcspResponse({ signer: fx.root, certs: [fx.root], singles: [{ certId: fx.certId }] })
    ),
  },
  {
    name: "a self-signed responder named like the issuing CA",
    expected: {
      kind: "OcspBadResponse",
      check: "signer-authorized",
      reason: "its signature does not verify with the CA's key",
    },
    handler: badResponse(async (fx) => {
      const impostor = await TestCa.root("Fixture Issuing CA");
      assert.equal(impostor.cert.subject, fx.ca.cert.subject);
      return buildOcspResponse({
        signer: impostor,
        certs: [impostor],
        singles: [{ certId: fx.certId }],
      });
    }),
  },
  {
    name: "a corrupted signature",
    expected: { kind: "OcspBadResponse", check: "signature" },
    handler: badResponse((fx) =>
      buildOcspResponse({ signer: fx.ca, corruptSignature: true, singles: [{ certId: fx.certId }] })
    ),
  },
  {
    name: "a response for another serial",
    expected: { kind: "OcspBadResponse", check: "cert-id", reason: "not for this certificate" },
    handler: badResponse((fx) =>
      buildOcspResponse({
        signer: fx.ca,
        singles: [{ certId: { ...fx.certId, serialNumber: new Uint8Array([0x7f, 1, 2, 3]) } }],
      })
    ),
  },
  {
    name: "two SingleResponses",
    expected: { kind: "OcspBadResponse", check: "cert-id", reason: "HAProxy accepts only one" },
    handler: badResponse((fx) =>
      buildOcspResponse({
        signer: fx.ca,
        singles: [
          { certId: fx.certId },
          { certId: { ...fx.certId, serialNumber: new Uint8Array([0x7f, 1, 2, 3]) } },
        ],
      })
    ),
  },
  {
    name: "no nextUpdate",
    expected: { kind: "OcspBadResponse", check: "next-update", reason: "no nextUpdate" },
    handler: badResponse((fx) => fx.goodResponse({ nextUpdate: null })),
  },
  {
    name: "a nextUpdate in the past",
    expected: { kind: "OcspBadResponse", check: "next-update", reason: "response expired at" },
    handler: badResponse((fx) => {
      const now = Date.now();
      return fx.goodResponse({
        thisUpdate: new Date(now - 2 * DAY),
        nextUpdate: new Date(now - HOUR),
      });
    }),
  },
  {
    name: "a nextUpdate after the certificate expires",
    expected: {
      kind: "OcspBadResponse",
      check: "next-update",
      reason: "after the certificate expires",
    },
    handler: badResponse((fx) => fx.goodResponse({ nextUpdate: new Date(Date.now() + 100 * DAY) })),
  },
  {
    name: "a thisUpdate in the future",
    expected: { kind: "OcspBadResponse", check: "this-update" },
    handler: badResponse((fx) => {
      const now = Date.now();
      return fx.goodResponse({ thisUpdate: new Date(now + HOUR), nextUpdate: new Date(now + DAY) });
    }),
  },
  {
    name: "an unknown critical response extension",
    expected: { kind: "OcspBadResponse", check: "critical-extension" },
    handler: badResponse((fx) =>
      buildOcspResponse({
        signer: fx.ca,
        extensions: [criticalExtension()],
        singles: [{ certId: fx.certId }],
      })
    ),
  },
  {
    name: "an unknown critical single extension",
    expected: { kind: "OcspBadResponse", check: "critical-extension" },
    handler: badResponse((fx) => fx.goodResponse({ extensions: [criticalExtension()] })),
  },
  {
    name: "status unknown",
    expected: { kind: "OcspBadResponse", check: "status" },
    handler: badResponse((fx) => fx.goodResponse({ status: "unknown" })),
  },
  {
    name: "tryLater",
    expected: { kind: "OcspResponderError", status: "tryLater" },
    handler: () => serveDer(statusOnlyResponse(3)),
  },
  {
    name: "unauthorized",
    expected: { kind: "OcspResponderError", status: "unauthorized" },
    handler: () => serveDer(statusOnlyResponse(6)),
  },
  {
    name: "trailing bytes after the response",
    expected: { kind: "OcspBadResponse", check: "der", reason: "2 trailing bytes" },
    handler: badResponse(async (fx) => {
      const der = await fx.goodResponse();
      const padded = new Uint8Array(der.length + 2);
      padded.set(der);
      return padded;
    }),
  },
  {
    name: "a response type other than id-pkix-ocsp-basic",
    expected: { kind: "OcspBadResponse", check: "response-type" },
    handler: badResponse((fx) =>
      buildOcspResponse({
        signer: fx.ca,
        responseType: "1.3.6.1.5.5.7.48.1.50000",
        singles: [{ certId: fx.certId }],
      })
    ),
  },
  {
    name: "a ResponseData version other than v1",
    expected: { kind: "OcspBadResponse", check: "version" },
    handler: badResponse((fx) =>
      buildOcspResponse({ signer: fx.ca, version: 1, singles: [{ certId: fx.certId }] })
    ),
  },
  {
    name: "a nonce other than the one sent",
    expected: { kind: "OcspBadResponse", check: "nonce" },
    handler: badResponse((fx) =>
      buildOcspResponse({
        signer: fx.ca,
        nonce: new Uint8Array(32).fill(9),
        singles: [{ certId: fx.certId }],
      })
    ),
    options: { nonce: true },
  },
];

for (const fault of [...HTTP_CASES, ...VALIDATION_CASES]) {
  Deno.test(
    `renewStaple() on ${fault.name} fails typed and keeps the staple on disk as it was`,
    async () => {
      const server = startSwitchableServer();
      const fx = await makeStapleFixture({
        ocspUrls: [fault.url ? fault.url(server) : `${server.url}/ocsp`],
      });
      try {
        server.handler = await fault.handler(fx, server);
        const options: RenewOptions = { recycle: false, ...fault.options };

        await assertRenewError(renewStaple(fx.bundle, options), fault.expected);
        assert.deepEqual(await listDir(fx.dir), ["site.pem"], "no staple and no temp file");

        const good = await fx.goodResponse();
        await Deno.writeFile(fx.staplePath, good);
        await assertRenewError(renewStaple(fx.bundle, options), fault.expected);
        assert.deepEqual(await Deno.readFile(fx.staplePath), good, "the good staple is untouched");
        assert.deepEqual(await listDir(fx.dir), ["site.pem", "site.pem.ocsp"], "no temp file");
      } finally {
        await server.close();
        await fx.cleanup();
      }
    },
  );
}

/** Runs `fn` with a server and a fixture whose leaf names `paths` on it. */
async function withResponder(
  paths: string[],
  fn: (fx: StapleFixture, server: SwitchableServer) => Promise<void>,
): Promise<void> {
  const server = startSwitchableServer();
  const fx = await makeStapleFixture({ ocspUrls: paths.map((p) => `${server.url}${p}`) });
  try {
    await fn(fx, server);
  } finally {
    await server.close();
    await fx.cleanup();
  }
}

/** 503 for paths under /bad/, `good` for the rest. */
function downThenGood(good: Uint8Array): TestHandler {
  return (_req, seen) =>
    seen.path.startsWith("/bad/") ? new Response("down", { status: 503 }) : ocspHttpResponse(good);
}

Deno.test("renewStaple() writes the staple from the second URL when the first fails", async () => {
  await withResponder(["/bad", "/good"], async (fx, server) => {
    const good = await fx.goodResponse();
    server.handler = downThenGood(good);
    const result = await renewStaple(fx.bundle, { recycle: false });
    assert.equal(result.action, "fetched");
    assert.equal(result.url, `${server.url}/good`);
    assert.equal(result.response.status, "good");
    assert.deepEqual(result.written, good);
    assert.deepEqual(await Deno.readFile(fx.staplePath), good);
    assert.deepEqual(server.requests.map((r) => r.path.split("/")[1]), ["bad", "good"]);
    assert.deepEqual(await listDir(fx.dir), ["site.pem", "site.pem.ocsp"]);
  });
});

Deno.test("renewStaple() starts with the URL firstUrl names", async () => {
  await withResponder(["/bad", "/good"], async (fx, server) => {
    const good = await fx.goodResponse();
    server.handler = downThenGood(good);
    const result = await renewStaple(fx.bundle, { recycle: false, firstUrl: 1 });
    assert.equal(result.url, `${server.url}/good`);
    assert.equal(server.requests.length, 1);
  });
});

Deno.test("renewStaple() throws the last URL's error when every URL fails", async () => {
  await withResponder(["/down", "/busy"], async (fx, server) => {
    server.handler = (_req, seen) =>
      seen.path.startsWith("/down/")
        ? new Response("down", { status: 503 })
        : ocspHttpResponse(statusOnlyResponse(3));
    await assertRenewError(renewStaple(fx.bundle, { recycle: false }), {
      kind: "OcspResponderError",
      status: "tryLater",
    });
    assert.equal(server.requests.length, 2);
    assert.deepEqual(await listDir(fx.dir), ["site.pem"]);
  });
});

Deno.test("renewStaple() follows one redirect to a responder that answers", async () => {
  await withResponder(["/old"], async (fx, server) => {
    const good = await fx.goodResponse();
    server.handler = (_req, seen) =>
      seen.path.startsWith("/old/")
        ? new Response(null, {
          status: 302,
          headers: { location: `/new/${seen.path.slice("/old/".length)}` },
        })
        : ocspHttpResponse(good);
    const result = await renewStaple(fx.bundle, { recycle: false });
    assert.equal(result.response.status, "good");
    assert.deepEqual(await Deno.readFile(fx.staplePath), good);
  });
});

Deno.test("renewStaple() with goodOnly writes an empty staple for a revoked certificate", async () => {
  await withResponder(["/ocsp"], async (fx, server) => {
    await Deno.writeFile(fx.staplePath, await fx.goodResponse());
    server.handler = serveDer(await fx.goodResponse({ status: "revoked", reason: 1 }));
    const result = await renewStaple(fx.bundle, { recycle: false, goodOnly: true });
    assert.equal(result.action, "fetched");
    assert.equal(result.response.status, "revoked");
    assert.equal(result.written.length, 0);
    assert.deepEqual(await Deno.readFile(fx.staplePath), new Uint8Array());
    // The revoked response is kept in a dotfile, so no older good answer comes back.
    assert.deepEqual(await listDir(fx.dir), [
      ".site.pem.ocsp.revoked",
      "site.pem",
      "site.pem.ocsp",
    ]);
    assert.deepEqual(await Deno.readFile(`${fx.dir}/.site.pem.ocsp.revoked`), result.response.der);
  });
});

Deno.test("renewStaple() without goodOnly writes a revoked response and says revoked", async () => {
  await withResponder(["/ocsp"], async (fx, server) => {
    const revokedAt = new Date(Math.floor((Date.now() - DAY) / 1000) * 1000);
    const revoked = await fx.goodResponse({ status: "revoked", reason: 1, revokedAt });
    server.handler = serveDer(revoked);
    const result = await renewStaple(fx.bundle, { recycle: false });
    assert.equal(result.response.status, "revoked");
    assert.equal(result.response.revocationReason, "keyCompromise");
    assert.deepEqual(result.response.revocationTime, revokedAt);
    assert.deepEqual(result.written, revoked);
    assert.deepEqual(await Deno.readFile(fx.staplePath), revoked);
  });
});

Deno.test("renewStaple() recycles a valid staple without any request", async () => {
  await withResponder(["/ocsp"], async (fx, server) => {
    const existing = await fx.goodResponse();
    await Deno.writeFile(fx.staplePath, existing);
    server.handler = serveDer(await fx.goodResponse());
    const result = await renewStaple(fx.bundle);
    assert.equal(result.action, "recycled");
    assert.equal(result.response.status, "good");
    assert.deepEqual(result.written, existing);
    assert.equal(server.requests.length, 0);
    assert.deepEqual(await Deno.readFile(fx.staplePath), existing);
  });
});

/** Puts a staple valid for one more hour on disk and renews under `minimumValidity`. */
async function renewHourOldStaple(
  minimumValidity: number,
): Promise<{ action: string; requests: number; replaced: boolean }> {
  let outcome = { action: "", requests: 0, replaced: false };
  await withResponder(["/ocsp"], async (fx, server) => {
    const now = Date.now();
    const existing = await fx.goodResponse({
      thisUpdate: new Date(now - HOUR),
      nextUpdate: new Date(now + HOUR),
    });
    await Deno.writeFile(fx.staplePath, existing);
    const fresh = await fx.goodResponse();
    server.handler = serveDer(fresh);
    const result = await renewStaple(fx.bundle, { minimumValidity });
    const onDisk = await Deno.readFile(fx.staplePath);
    assert.deepEqual(onDisk, result.action === "fetched" ? fresh : existing);
    outcome = {
      action: result.action,
      requests: server.requests.length,
      replaced: !bytesEqual(onDisk, existing),
    };
  });
  return outcome;
}

Deno.test("renewStaple() renews a staple that expires within minimumValidity", async () => {
  assert.deepEqual(await renewHourOldStaple(7200), {
    action: "fetched",
    requests: 1,
    replaced: true,
  });
});

Deno.test("renewStaple() recycles a staple valid for longer than a shorter minimumValidity", async () => {
  assert.deepEqual(await renewHourOldStaple(1800), {
    action: "recycled",
    requests: 0,
    replaced: false,
  });
});

Deno.test("renewStaple() replaces an unusable staple on disk when recycling", async () => {
  await withResponder(["/ocsp"], async (fx, server) => {
    await Deno.writeTextFile(fx.staplePath, "<html>not a staple</html>");
    const fresh = await fx.goodResponse();
    server.handler = serveDer(fresh);
    const result = await renewStaple(fx.bundle);
    assert.equal(result.action, "fetched");
    assert.deepEqual(await Deno.readFile(fx.staplePath), fresh);
  });
});
