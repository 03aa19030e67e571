/**
 * The revocation record is a dotfile beside the staple: HAProxy, loading a
 * crt directory, skips it (any other non-certificate file there is fatal)
 * and serves the revoked staple.
 */
import assert from "node:assert/strict";
import { hasCommand } from "../_helpers/net.ts";
import { HAPROXY, servedStaple, startHaproxy } from "../_helpers/haproxy.ts";
import {
  listDir,
  makeStapleFixture,
  serveDer,
  startSwitchableServer,
} from "../_helpers/fixtures.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";
import { runStapled } from "../_helpers/run_stapled.ts";

const haveTools = HAPROXY !== undefined && await hasCommand("openssl");

Deno.test({
  name:
    "HAProxy starts on a crt directory holding a revocation record and serves the revoked staple",
  ignore: !haveTools,
  async fn() {
    const server = startSwitchableServer();
    const fx = await makeStapleFixture({ ocspUrls: [server.url] });
    const haproxyDir = await Deno.makeTempDir({ prefix: "stapled-haproxy-" });
    try {
      const revoked = await fx.goodResponse({ status: "revoked", reason: 1 });
      await assertOpensslAccepts(revoked, { leaf: fx.leaf, issuer: fx.ca, root: fx.root });
      server.handler = serveDer(revoked);
      const run = await runStapled(["--one-off", "-q", "-p", fx.dir]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.deepEqual(await listDir(fx.dir), [
        ".site.pem.ocsp.revoked",
        "site.pem",
        "site.pem.ocsp",
      ]);
      const haproxy = await startHaproxy({ dir: haproxyDir, crts: [fx.dir] });
      try {
        const served = await servedStaple(haproxy.tlsPort, "site.test");
        assert.equal(served.certStatus, "revoked", served.text);
      } finally {
        await haproxy.stop();
      }
    } finally {
      await server.close();
      await fx.cleanup();
      await Deno.remove(haproxyDir, { recursive: true });
    }
  },
});
