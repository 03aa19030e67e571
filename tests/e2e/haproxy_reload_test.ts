/**
 * A real HAProxy 2.6 in master-worker mode (`haproxy -W -S`, as systemd runs
 * it) reloaded by SIGUSR2: the adder's persistent connection must move to the
 * new worker, push its staples there, and let the old worker exit.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { buildOcspResponse } from "../../scripts/lib/ocsp_responder.ts";
import { hasOcsp, parseBundle } from "../../src/certs/mod.ts";
import { certIdFor } from "../../src/ocsp/mod.ts";
import {
  HaproxyAdder,
  HaproxyRuntimeClient,
  type HaproxySocketAddress,
} from "../../src/haproxy/runtime/mod.ts";
import { HAPROXY, isRunning, servedStaple, startHaproxy } from "../_helpers/haproxy.ts";
import { hasCommand } from "../_helpers/net.ts";
import { until } from "../_helpers/wait.ts";

const haveTools = HAPROXY !== undefined && await hasCommand("openssl");

Deno.test({
  name:
    "after a master-worker reload the old worker exits and staples go to the new worker, pushed again",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-reload-" });
  const root = await TestCa.root("Reload Root");
  const ca = await root.intermediate("Reload CA");
  const leaf = await ca.leaf("reload.example.test", { ocspUrls: ["http://127.0.0.1:9/"] });
  const path = `${dir}/site.pem`;
  await writeBundle(path, leaf, [ca]);
  await Deno.writeFile(`${path}.ocsp`, new Uint8Array()); // OCSP enabled, nothing stapled
  const bundle = await parseBundle(path, await Deno.readFile(path));
  assert.ok(hasOcsp(bundle));
  const certId = await certIdFor(bundle.issuer, bundle.leaf.serial);
  // Whole seconds: HAProxy 3.0 (OpenSSL 3.5) refuses fractional ones.
  const now = Math.floor(Date.now() / 1000) * 1000;
  const staple = (hoursAgo: number) =>
    buildOcspResponse({
      signer: ca,
      producedAt: new Date(now),
      singles: [{
        certId,
        thisUpdate: new Date(now - hoursAgo * 3_600_000),
        nextUpdate: new Date(now + 86_400_000),
      }],
    });

  const haproxy = await startHaproxy({ dir, crts: [path], masterWorker: true });
  const socket: HaproxySocketAddress = { transport: "unix", path: haproxy.socketPath };
  const adder = new HaproxyAdder({
    createClient: (address) => new HaproxyRuntimeClient(address, { reloadCheckMs: 200 }),
    onResult: () => {},
  });
  try {
    const [first] = await adder.push(path, await staple(2), [socket]);
    assert.ok(first.ok, String(!first.ok && first.error));
    const before = await servedStaple(haproxy.tlsPort, "reload.example.test");
    assert.equal(before.certStatus, "good", before.text.slice(0, 400));

    const { oldWorker } = await haproxy.reload();
    // The old worker lives only as long as a connection holds it.
    await until(async () => !(await isRunning(oldWorker)), `old worker ${oldWorker} to exit`, 5000);

    // The new worker loaded the empty .ocsp: it serves the first staple only
    // because the adder pushed it again after moving.
    await until(
      async () =>
        (await servedStaple(haproxy.tlsPort, "reload.example.test")).thisUpdate ===
          before.thisUpdate,
      "the new worker to serve the staple pushed before the reload",
      5000,
    );

    const [second] = await adder.push(path, await staple(1), [socket]);
    assert.ok(second.ok, String(!second.ok && second.error));
    const after = await servedStaple(haproxy.tlsPort, "reload.example.test");
    assert.equal(after.certStatus, "good");
    assert.notEqual(after.thisUpdate, before.thisUpdate, "the staple pushed after the reload");
  } finally {
    await adder.close();
    await haproxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
