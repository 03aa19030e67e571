/**
 * Issue 8 item 1: a staple is never replaced by an older response, and once a
 * revocation was seen no good answer produced before it is stapled, with and
 * without --good-only, after the revoked response expired, and across
 * restarts (the revoked response is recorded in `.<staple>.revoked`).
 */
import assert from "node:assert/strict";
import { OcspBadResponse } from "../../src/errors/mod.ts";
import { renewStaple } from "../../src/renewer/mod.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { buildOcspResponse } from "../../scripts/lib/ocsp_responder.ts";
import {
  listDir,
  makeStapleFixture,
  serveDer,
  type StapleFixture,
  startSwitchableServer,
  type SwitchableServer,
} from "../_helpers/fixtures.ts";
import { assertOpensslAccepts, opensslChecks } from "../_helpers/openssl_verify.ts";
import { runStapled } from "../_helpers/run_stapled.ts";

const H = 3_600_000;
const MODES = [{ goodOnly: false, name: "" }, { goodOnly: true, name: " with --good-only" }];

/** Whole seconds, as OCSP times are encoded. */
function at(offsetMs: number): Date {
  return new Date(Math.floor((Date.now() + offsetMs) / 1000) * 1000);
}

async function withFixture(
  fn: (fx: StapleFixture, server: SwitchableServer) => Promise<void>,
): Promise<void> {
  const server = startSwitchableServer();
  const fx = await makeStapleFixture({ ocspUrls: [server.url] });
  try {
    await fn(fx, server);
  } finally {
    await server.close();
    await fx.cleanup();
  }
}

function recordPath(fx: StapleFixture): string {
  return `${fx.dir}/.site.pem.ocsp.revoked`;
}

function chain(fx: StapleFixture) {
  return { leaf: fx.leaf, issuer: fx.ca, root: fx.root };
}

/** Serves `der` (checked by OpenSSL first) and renews without recycling. */
async function fetchAndRenew(
  fx: StapleFixture,
  server: SwitchableServer,
  der: Uint8Array,
  goodOnly: boolean,
) {
  await assertOpensslAccepts(der, chain(fx));
  server.handler = serveDer(der);
  return renewStaple(fx.bundle, { recycle: false, goodOnly });
}

/** What the staple on disk must hold after a revoked response was fetched. */
async function assertRevokedStaple(fx: StapleFixture, revoked: Uint8Array, goodOnly: boolean) {
  const staple = await Deno.readFile(fx.staplePath);
  if (goodOnly) {
    assert.equal(staple.length, 0);
  } else {
    assert.deepEqual(staple, revoked);
    await assertOpensslAccepts(staple, chain(fx), { status: "revoked" });
  }
}

async function assertRefused(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof OcspBadResponse, String(err));
    assert.equal(err.check, "not-older");
    assert.match(err.reason, reason);
    return true;
  });
}

for (const mode of MODES) {
  Deno.test(`a revoked staple is never replaced by an older good answer (a CDN's stale copy)${mode.name}`, async () => {
    await withFixture(async (fx, server) => {
      const revoked = await fx.goodResponse({ status: "revoked", thisUpdate: at(-H) });
      await fetchAndRenew(fx, server, revoked, mode.goodOnly);
      await assertRevokedStaple(fx, revoked, mode.goodOnly);

      const stale = await fx.goodResponse({ thisUpdate: at(-48 * H), nextUpdate: at(48 * H) });
      await assertRefused(
        fetchAndRenew(fx, server, stale, mode.goodOnly),
        mode.goodOnly
          ? /good as of .* but the responder said revoked as of .*keeping the empty staple/
          : /the answer \(good, .*\) is older than the staple on disk \(revoked, .*\); keeping that/,
      );
      await assertRevokedStaple(fx, revoked, mode.goodOnly);
      assert.deepEqual(await Deno.readFile(recordPath(fx)), revoked);
    });
  });

  Deno.test(`a revocation is honoured after the revoked response expired${mode.name}`, async () => {
    await withFixture(async (fx, server) => {
      // Revoked 3 h ago, expired 1 h ago; fetched when it was fresh.
      const revoked = await buildOcspResponse({
        signer: fx.ca,
        producedAt: at(-3 * H),
        singles: [{
          certId: fx.certId,
          status: "revoked",
          thisUpdate: at(-3 * H),
          nextUpdate: at(-H),
        }],
      });
      // Expired now, so OpenSSL warns about its times; the signature and status must hold.
      const verdict = await opensslChecks(revoked, chain(fx), { at: at(-2.5 * H) });
      assert.match(verdict.output, /Response verify OK/);
      assert.match(verdict.output, /leaf\.pem: (WARNING: Status times invalid\.\n.*\n)?revoked/);
      server.handler = serveDer(revoked);
      const then = at(-2.5 * H);
      await renewStaple(fx.bundle, {
        recycle: false,
        goodOnly: mode.goodOnly,
        clock: new FakeClock({ start: then.getTime() }),
      });

      const stale = await fx.goodResponse({ thisUpdate: at(-48 * H), nextUpdate: at(48 * H) });
      await assertRefused(
        fetchAndRenew(fx, server, stale, mode.goodOnly),
        /a good answer from before a revocation is never stapled/,
      );
      assert.deepEqual(
        await Deno.readFile(fx.staplePath),
        mode.goodOnly ? new Uint8Array() : revoked,
      );
    });
  });

  Deno.test(`a good answer produced after the revocation is stapled (a lifted certificateHold)${mode.name}`, async () => {
    await withFixture(async (fx, server) => {
      const revoked = await fx.goodResponse({
        status: "revoked",
        reason: 6,
        thisUpdate: at(-2 * H),
      });
      await fetchAndRenew(fx, server, revoked, mode.goodOnly);
      const lifted = await fx.goodResponse({ thisUpdate: at(-H) });
      const result = await fetchAndRenew(fx, server, lifted, mode.goodOnly);
      assert.equal(result.response.status, "good");
      assert.deepEqual(await Deno.readFile(fx.staplePath), lifted);
      await assertOpensslAccepts(await Deno.readFile(fx.staplePath), chain(fx), { status: "good" });
      // The record stays: a good answer from before the hold still never comes back.
      assert.deepEqual(await Deno.readFile(recordPath(fx)), revoked);
      const beforeHold = await fx.goodResponse({ thisUpdate: at(-3 * H) });
      await assertRefused(fetchAndRenew(fx, server, beforeHold, mode.goodOnly), /older than/);
      assert.deepEqual(await Deno.readFile(fx.staplePath), lifted);
    });
  });
}

Deno.test("a good answer from the same second as the revocation is not stapled", async () => {
  await withFixture(async (fx, server) => {
    const t = at(-H);
    const revoked = await fx.goodResponse({ status: "revoked", thisUpdate: t });
    await fetchAndRenew(fx, server, revoked, true);
    const good = await fx.goodResponse({ thisUpdate: t });
    await assertRefused(fetchAndRenew(fx, server, good, true), /never stapled/);
    assert.equal((await Deno.readFile(fx.staplePath)).length, 0);
  });
});

Deno.test("a newer revoked response replaces the revocation record, an older one does not", async () => {
  await withFixture(async (fx, server) => {
    const first = await fx.goodResponse({ status: "revoked", thisUpdate: at(-3 * H) });
    await fetchAndRenew(fx, server, first, true);
    const newer = await fx.goodResponse({ status: "revoked", thisUpdate: at(-H) });
    await fetchAndRenew(fx, server, newer, true);
    assert.deepEqual(await Deno.readFile(recordPath(fx)), newer);
    await assertOpensslAccepts(await Deno.readFile(recordPath(fx)), chain(fx), {
      status: "revoked",
    });
    const older = await fx.goodResponse({ status: "revoked", thisUpdate: at(-2 * H) });
    const result = await fetchAndRenew(fx, server, older, true);
    assert.equal(result.response.status, "revoked");
    assert.deepEqual(await Deno.readFile(recordPath(fx)), newer);
  });
});

Deno.test("a good staple is never replaced by an older revoked answer", async () => {
  await withFixture(async (fx, server) => {
    const good = await fx.goodResponse({ thisUpdate: at(-H) });
    await fetchAndRenew(fx, server, good, false);
    const revoked = await fx.goodResponse({ status: "revoked", thisUpdate: at(-5 * H) });
    await assertRefused(
      fetchAndRenew(fx, server, revoked, false),
      /the answer \(revoked, .*\) is older than the staple on disk \(good, .*\)/,
    );
    assert.deepEqual(await Deno.readFile(fx.staplePath), good);
    assert.deepEqual(await listDir(fx.dir), ["site.pem", "site.pem.ocsp"]);
  });
});

Deno.test("a revocation record about another certificate (the file was reissued) is removed and ignored", async () => {
  await withFixture(async (fx, server) => {
    const otherCert = { ...fx.certId, serialNumber: new Uint8Array([0x12, 0x34]) };
    await Deno.writeFile(
      recordPath(fx),
      await buildOcspResponse({
        signer: fx.ca,
        singles: [{ certId: otherCert, status: "revoked", thisUpdate: at(-H) }],
      }),
    );
    const good = await fx.goodResponse({ thisUpdate: at(-48 * H), nextUpdate: at(48 * H) });
    await fetchAndRenew(fx, server, good, true);
    assert.deepEqual(await Deno.readFile(fx.staplePath), good);
    assert.deepEqual(await listDir(fx.dir), ["site.pem", "site.pem.ocsp"]);
  });
});

Deno.test("a revocation seen by one stapled run keeps an older good answer out in the next (--good-only)", async () => {
  await withFixture(async (fx, server) => {
    const revoked = await fx.goodResponse({ status: "revoked", thisUpdate: at(-H) });
    await assertOpensslAccepts(revoked, chain(fx));
    server.handler = serveDer(revoked);
    const args = ["--one-off", "--good-only", "--no-recycle", "-q", "-p", fx.dir];
    const first = await runStapled(args);
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stdout, /REVOKED since .*empty staple written \(--good-only\)/);
    assert.equal((await Deno.readFile(fx.staplePath)).length, 0);

    const stale = await fx.goodResponse({ thisUpdate: at(-48 * H), nextUpdate: at(48 * H) });
    await assertOpensslAccepts(stale, chain(fx));
    server.handler = serveDer(stale);
    const second = await runStapled(args);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(
      second.stdout,
      /FAILED: OCSP response rejected \(not-older\): .*keeping the empty staple/,
    );
    assert.equal((await Deno.readFile(fx.staplePath)).length, 0);
  });
});

Deno.test("a good staple on disk from before a recorded revocation is not reused", async () => {
  await withFixture(async (fx, server) => {
    const revoked = await fx.goodResponse({ status: "revoked", thisUpdate: at(-H) });
    await fetchAndRenew(fx, server, revoked, true);
    // The staple write after the record failed, or an old staple was put back.
    const before = await fx.goodResponse({ thisUpdate: at(-2 * H), nextUpdate: at(72 * H) });
    await assertOpensslAccepts(before, chain(fx));
    await Deno.writeFile(fx.staplePath, before);
    const result = await renewStaple(fx.bundle);
    assert.equal(result.action, "fetched");
    assert.equal(result.response.status, "revoked");
    await assertRevokedStaple(fx, revoked, false);
  });
});
