/**
 * A real HAProxy 2.6 and a staple padded past what its CLI reads (the
 * `certs` field of a response is not signed, so anyone on the path can pad a
 * genuine response): the padded one is refused without being sent, the good
 * ones on the same socket are delivered, and the connection is not reset and
 * reconnected over and over.
 */
import assert from "node:assert/strict";
import { type Issued, TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { buildOcspResponse } from "../../scripts/lib/ocsp_responder.ts";
import { hasOcsp, parseBundle } from "../../src/certs/mod.ts";
import { certIdFor } from "../../src/ocsp/mod.ts";
import {
  HaproxyAdder,
  HaproxyRuntimeClient,
  type HaproxySocketAddress,
  StapleNotSentError,
} from "../../src/haproxy/runtime/mod.ts";
import { MAX_STAPLE_BYTES } from "../../src/staples/limits.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { HAPROXY, servedStaple, startHaproxy } from "../_helpers/haproxy.ts";
import { hasCommand } from "../_helpers/net.ts";

const haveTools = HAPROXY !== undefined && await hasCommand("openssl");

/** A leaf bundle `<dir>/<name>.pem` with an empty .ocsp, and its staple built by `ca`. */
async function site(dir: string, ca: TestCa, name: string) {
  const leaf = await ca.leaf(`${name}.example.test`, { ocspUrls: ["http://127.0.0.1:9/"] });
  const path = `${dir}/${name}.pem`;
  await writeBundle(path, leaf, [ca]);
  await Deno.writeFile(`${path}.ocsp`, new Uint8Array());
  const bundle = await parseBundle(path, await Deno.readFile(path));
  assert.ok(hasOcsp(bundle));
  const certId = await certIdFor(bundle.issuer, bundle.leaf.serial);
  // Whole seconds: HAProxy 3.0 (OpenSSL 3.5) refuses fractional ones.
  const now = Math.floor(Date.now() / 1000) * 1000;
  const staple = (certs: Issued[] = []) =>
    buildOcspResponse({
      signer: ca,
      certs,
      producedAt: new Date(now),
      singles: [{
        certId,
        thisUpdate: new Date(now - 3_600_000),
        nextUpdate: new Date(now + 86_400_000),
      }],
    });
  return { path, name: `${name}.example.test`, staple };
}

Deno.test({
  name:
    "a padded staple too large for HAProxy's CLI is not sent and does not keep the other staples from HAProxy",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-size-" });
  const root = await TestCa.root("Size Root");
  const ca = await root.intermediate("Size CA");
  const padded = await site(dir, ca, "padded");
  const good = await Promise.all(["a", "b", "c"].map((name) => site(dir, ca, name)));
  const haproxy = await startHaproxy({ dir, crts: [padded.path, ...good.map((s) => s.path)] });
  const socket: HaproxySocketAddress = { transport: "unix", path: haproxy.socketPath };
  let reconnects = 0;
  let client: HaproxyRuntimeClient | undefined;
  // On a clock that stands still a dropped connection stays dropped (no
  // reconnection, no reload check), so the test needs no real-time wait.
  const adder = new HaproxyAdder({
    createClient(address) {
      client = new HaproxyRuntimeClient(address, { clock: new FakeClock() });
      client.onReconnect(() => {
        reconnects++;
      });
      return client;
    },
    onResult: () => {},
  });
  try {
    // Genuine (signed by the CA) but 13 KB and more: HAProxy 2.6 drops the
    // connection on a command over 16383 bytes, that is a response over 12267.
    const big = await padded.staple(Array(30).fill(ca));
    assert.ok(big.length > 12_300, `padded to ${big.length} bytes`);
    const staples = await Promise.all(good.map((s) => s.staple()));
    const [[refused], ...delivered] = await Promise.all([
      adder.push(padded.path, big, [socket]), // first in the socket's queue
      ...good.map((s, i) => adder.push(s.path, staples[i], [socket])),
    ]);
    assert.ok(!refused.ok);
    assert.ok(refused.error instanceof StapleNotSentError, String(refused.error));
    assert.match(
      refused.error.message,
      new RegExp(
        `padded\\.pem: staple not sent to HAProxy: the OCSP response is ${big.length} bytes, more than the ${MAX_STAPLE_BYTES}`,
      ),
    );
    for (const [result] of delivered) assert.ok(result.ok, String(!result.ok && result.error));

    // Still the first connection (HAProxy drops one that sent it a command
    // too long for its buffer), answering; every good staple served.
    assert.equal(client?.status, "connected");
    assert.equal(await client!.command("show cli level"), "admin");
    assert.equal(reconnects, 0);
    for (const s of good) {
      const served = await servedStaple(haproxy.tlsPort, s.name);
      assert.equal(served.certStatus, "good", `${s.name}: ${served.text.slice(0, 300)}`);
    }
    assert.equal((await servedStaple(haproxy.tlsPort, padded.name)).certStatus, undefined);
  } finally {
    await adder.close();
    await haproxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
