import assert from "node:assert/strict";
import { OcspBadResponse } from "../../src/errors/mod.ts";
import { renewStaple } from "../../src/renewer/mod.ts";
import { MAX_STAPLE_BYTES } from "../../src/staples/mod.ts";
import { buildOcspResponse } from "../../scripts/lib/ocsp_responder.ts";
import { makeStapleFixture, serveDer, startSwitchableServer } from "../_helpers/fixtures.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";

const H = 3_600_000;

Deno.test("renewStaple() keeps a good staple when the responder's answer has an older thisUpdate (a stale CDN copy)", async () => {
  const server = startSwitchableServer();
  const fx = await makeStapleFixture({ ocspUrls: [server.url] });
  try {
    const now = Date.now();
    const long = await fx.goodResponse({
      thisUpdate: new Date(now - H),
      nextUpdate: new Date(now + 96 * H),
    });
    await Deno.writeFile(fx.staplePath, long);
    server.handler = serveDer(
      await fx.goodResponse({ thisUpdate: new Date(now - 95 * H), nextUpdate: new Date(now + H) }),
    );
    await assert.rejects(renewStaple(fx.bundle, { recycle: false }), (err: unknown) => {
      assert.ok(err instanceof OcspBadResponse);
      assert.equal(err.check, "not-older");
      assert.match(err.message, /is older than the staple on disk .*; keeping that/);
      return true;
    });
    assert.deepEqual(await Deno.readFile(fx.staplePath), long);
  } finally {
    await server.close();
    await fx.cleanup();
  }
});

Deno.test("renewStaple() replaces a good staple by a newer good answer even when that expires sooner", async () => {
  const server = startSwitchableServer();
  const fx = await makeStapleFixture({ ocspUrls: [server.url] });
  try {
    const now = Date.now();
    await Deno.writeFile(
      fx.staplePath,
      await fx.goodResponse({
        thisUpdate: new Date(now - 2 * H),
        nextUpdate: new Date(now + 96 * H),
      }),
    );
    const newer = await fx.goodResponse({
      thisUpdate: new Date(now - H),
      nextUpdate: new Date(now + 24 * H),
    });
    server.handler = serveDer(newer);
    await renewStaple(fx.bundle, { recycle: false });
    assert.deepEqual(await Deno.readFile(fx.staplePath), newer);
    await assertOpensslAccepts(newer, { leaf: fx.leaf, issuer: fx.ca, root: fx.root });
  } finally {
    await server.close();
    await fx.cleanup();
  }
});

Deno.test("renewStaple() writes a revoked answer over a good staple, however long the good one lasts", async () => {
  const server = startSwitchableServer();
  const fx = await makeStapleFixture({ ocspUrls: [server.url] });
  try {
    const now = Date.now();
    await Deno.writeFile(
      fx.staplePath,
      await fx.goodResponse({ nextUpdate: new Date(now + 96 * H) }),
    );
    const revoked = await fx.goodResponse({ status: "revoked", nextUpdate: new Date(now + H) });
    server.handler = serveDer(revoked);
    const result = await renewStaple(fx.bundle, { recycle: false });
    assert.equal(result.response.status, "revoked");
    assert.deepEqual(await Deno.readFile(fx.staplePath), revoked);
  } finally {
    await server.close();
    await fx.cleanup();
  }
});

Deno.test("renewStaple() renews a staple on disk whose 10 days run out, whatever its nextUpdate says", async () => {
  const server = startSwitchableServer();
  const fx = await makeStapleFixture({ ocspUrls: [server.url] });
  try {
    const now = Date.now();
    // Effective expiry in 1 h (thisUpdate + 10 days) although nextUpdate is 20 days away.
    const old = await fx.goodResponse({
      thisUpdate: new Date(now - 239 * H),
      nextUpdate: new Date(now + 480 * H),
    });
    await Deno.writeFile(fx.staplePath, old);
    const fresh = await fx.goodResponse({
      thisUpdate: new Date(now - H),
      nextUpdate: new Date(now + 500 * H),
    });
    server.handler = serveDer(fresh);
    const result = await renewStaple(fx.bundle);
    assert.equal(result.action, "fetched");
    assert.deepEqual(await Deno.readFile(fx.staplePath), fresh);
    assert.equal(
      result.response.expiresAt.getTime(),
      Math.floor((now - H) / 1000) * 1000 + 240 * H,
    );
  } finally {
    await server.close();
    await fx.cleanup();
  }
});

Deno.test("renewStaple() refuses a response padded past the staple limit with extra certificates, keeping the staple", async () => {
  const server = startSwitchableServer();
  const fx = await makeStapleFixture({ ocspUrls: [server.url] });
  try {
    const now = Date.now();
    const current = await fx.goodResponse({ thisUpdate: new Date(now - 2 * H) });
    await Deno.writeFile(fx.staplePath, current);
    // The certs field is not signed: the padded response still verifies.
    const copies = Math.ceil(MAX_STAPLE_BYTES / fx.leaf.der.length) + 1;
    const padded = await buildOcspResponse({
      signer: fx.ca,
      certs: Array.from({ length: copies }, () => fx.leaf),
      singles: [{ certId: fx.certId, thisUpdate: new Date(now - H) }],
    });
    assert.ok(padded.length > MAX_STAPLE_BYTES);
    await assertOpensslAccepts(padded, { leaf: fx.leaf, issuer: fx.ca, root: fx.root });
    server.handler = serveDer(padded);
    await assert.rejects(renewStaple(fx.bundle, { recycle: false }), (err: unknown) => {
      assert.ok(err instanceof OcspBadResponse, String(err));
      assert.equal(err.check, "size");
      assert.match(
        err.reason,
        new RegExp(
          `is ${padded.length} bytes, more than the ${MAX_STAPLE_BYTES} bytes .*keeping the current staple`,
        ),
      );
      return true;
    });
    assert.deepEqual(await Deno.readFile(fx.staplePath), current);
  } finally {
    await server.close();
    await fx.cleanup();
  }
});

Deno.test("renewStaple() keeps staples and the revocation record in the store it is given, on the clock it is given", async () => {
  const server = startSwitchableServer();
  const fx = await makeStapleFixture({ ocspUrls: [server.url] });
  try {
    const { MemoryStapleStore } = await import("../_helpers/memory_store.ts");
    const { FakeClock } = await import("../_helpers/fake_clock.ts");
    const store = new MemoryStapleStore();
    const clock = new FakeClock({ start: Math.floor(Date.now() / 1000) * 1000 });
    const now = clock.now();
    const revokedAt = new Date(now - 2 * H);
    const revoked = await buildOcspResponse({
      signer: fx.ca,
      producedAt: new Date(now),
      singles: [{
        certId: fx.certId,
        status: "revoked",
        revokedAt,
        thisUpdate: new Date(now - H),
        nextUpdate: new Date(now + 24 * H),
      }],
    });
    server.handler = serveDer(revoked);
    const result = await renewStaple(fx.bundle, { store, clock });
    assert.equal(result.response.status, "revoked");
    assert.deepEqual(store.get(fx.staplePath), revoked);
    assert.deepEqual(store.get(`${fx.dir}/.site.pem.ocsp.revoked`), revoked);
    assert.equal(await Deno.stat(fx.staplePath).then(() => true, () => false), false);
    // 25 h later on the fake clock the same answer has expired: refused, the store untouched.
    await clock.advance(25 * H);
    server.handler = serveDer(revoked);
    await assert.rejects(renewStaple(fx.bundle, { store, clock }));
    assert.equal(store.writes.filter((p) => p === fx.staplePath).length, 1);
  } finally {
    await server.close();
    await fx.cleanup();
  }
});
