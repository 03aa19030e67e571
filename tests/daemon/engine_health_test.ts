/**
 * The engine feeds its HealthBook: `engine.health()` after stapling, after
 * failures (counted, the staple kept, the responder down after 3), after
 * the push results of the sink, and after a file is removed. Fake clock,
 * in-process CA, in-memory store.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { Daemon } from "../../src/daemon/mod.ts";
import type { StapleSink } from "../../src/daemon/mod.ts";
import { FakeCa } from "./_fakes.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { MemoryStapleStore } from "../_helpers/memory_store.ts";

const root = await TestCa.root("Engine Health Root");
const ca = await root.intermediate("Engine Health CA");
const H = 3_600_000;

/** A sink answering as the adder does: one result per socket. */
class ResultSink implements StapleSink<string> {
  fail = false;
  push(certPath: string, _der: Uint8Array, sockets: readonly string[]) {
    return Promise.resolve(
      sockets.map((socket) =>
        this.fail
          ? { socket, certPath, repush: false, ok: false, error: new Error("HAProxy said no") }
          : { socket, certPath, repush: false, ok: true, outcome: "updated" }
      ),
    );
  }
  forget() {}
  close() {
    return Promise.resolve();
  }
}

Deno.test("engine.health() shows staples, renewals, pushes, failures and responders as they happen", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-engine-health-" });
  const clock = new FakeClock({ start: Date.now() });
  const fakeCa = new FakeCa(ca, clock);
  const sink = new ResultSink();
  const daemon = new Daemon<string>({
    sources: [{ paths: [dir], sockets: ["/run/haproxy.sock"] }],
    sink,
    store: new MemoryStapleStore(),
    clock,
    fetch: fakeCa.fetch,
    watch: false,
    random: () => 0,
  });
  try {
    const leaf = await ca.leaf("a.example.test", { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
    fakeCa.status.set(leaf.serial, "good");
    await writeBundle(`${dir}/a.pem`, leaf, [ca]);
    await daemon.start();
    await daemon.idle();
    await daemon.idle();

    let snapshot = daemon.health();
    assert.equal(snapshot.source, "daemon");
    const [a] = snapshot.certificates;
    assert.equal(a.path, `${dir}/a.pem`);
    assert.equal(a.subject, "CN=a.example.test");
    assert.equal(a.staple, "good");
    assert.ok(a.certIdKey?.startsWith("30"));
    assert.equal(a.producedAt, new Date(clock.now()).toISOString().replace(/\.\d+Z$/, ".000Z"));
    assert.ok(Date.parse(a.nextRenewal!) > clock.now() + H, "next renewal scheduled");
    assert.deepEqual(a.pushes.map((p) => [p.socket, p.result]), [["/run/haproxy.sock", "ok"]]);
    assert.deepEqual(snapshot.responders.map((r) => [r.url, r.up]), [[
      "http://127.0.0.1:9/ocsp",
      true,
    ]]);
    assert.ok(snapshot.scanDurationSeconds !== undefined);
    assert.deepEqual(
      daemon.healthBook.counters().fetches,
      [{ responder: "http://127.0.0.1:9/ocsp", result: "ok", count: 1 }],
    );

    // The CA goes down: renewals fail, counted; the staple stays; the responder is down after 3.
    fakeCa.mode = "down";
    sink.fail = true;
    const renewal = Date.parse(a.nextRenewal!);
    for (let i = 0; i < 4; i++) {
      await clock.advanceTo(Math.max(clock.nextTimerAt() ?? renewal, renewal));
      await daemon.idle();
    }
    snapshot = daemon.health();
    const [down] = snapshot.certificates;
    assert.equal(down.staple, "good", "the staple in place stays");
    assert.ok((down.lastError?.count ?? 0) >= 3, JSON.stringify(down.lastError));
    assert.equal(down.lastError?.kind, "OcspFetchError");
    assert.equal(snapshot.responders[0].up, false);
    assert.ok(snapshot.responders[0].consecutiveFailures >= 3);

    // Recovery: a fresh staple, the error cleared, the failed push recorded.
    fakeCa.mode = "ok";
    for (let i = 0; i < 8 && daemon.health().certificates[0].lastError; i++) {
      const next = clock.nextTimerAt();
      if (next === undefined) break;
      await clock.advanceTo(next);
      await daemon.idle();
    }
    snapshot = daemon.health();
    assert.equal(snapshot.certificates[0].lastError, undefined);
    assert.equal(snapshot.responders[0].up, true);
    assert.deepEqual(snapshot.certificates[0].pushes.map((p) => [p.result, p.message]), [[
      "failed",
      "HAProxy said no",
    ]]);

    await Deno.remove(`${dir}/a.pem`);
    daemon.rescan();
    await daemon.idle();
    assert.deepEqual(daemon.health().certificates, []);
  } finally {
    await daemon.stop(1000);
    await Deno.remove(dir, { recursive: true });
  }
});
