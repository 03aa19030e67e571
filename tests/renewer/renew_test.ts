import assert from "node:assert/strict";
import { OcspBadResponse } from "../../src/errors/mod.ts";
import { renewStaple } from "../../src/renewer/mod.ts";
import { makeStapleFixture, serveDer, startSwitchableServer } from "../_helpers/fixtures.ts";

const H = 3_600_000;

Deno.test("renewStaple() keeps a good staple that outlives the responder's fresh answer (a stale CDN copy)", async () => {
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
      assert.match(err.message, /before the staple on disk .*; keeping that/);
      return true;
    });
    assert.deepEqual(await Deno.readFile(fx.staplePath), long);
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
    assert.equal(result.response.expiresAt.getTime(), now - H + 240 * H);
  } finally {
    await server.close();
    await fx.cleanup();
  }
});
