/**
 * The one engine in its three modes: one-off and check settle every
 * certificate once (no retry, no rescan, nothing left armed), check reads
 * and parses but fetches, writes and pushes nothing; on a fake clock and an
 * in-memory store.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { type CertOutcome, Engine, type EngineMode } from "../../src/daemon/mod.ts";
import { FakeCa, RecordingSink } from "./_fakes.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { MemoryStapleStore } from "../_helpers/memory_store.ts";

const root = await TestCa.root("Modes Root");
const ca = await root.intermediate("Modes CA");

async function setup(mode: EngineMode, count: number, options: { renewalThreads?: number } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "stapled-modes-" });
  const clock = new FakeClock({ start: Date.now() });
  const fakeCa = new FakeCa(ca, clock);
  const store = new MemoryStapleStore();
  const sink = new RecordingSink();
  for (let i = 0; i < count; i++) {
    const leaf = await ca.leaf(`m${i}.example.test`, {
      ocspUrls: ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"],
    });
    fakeCa.status.set(leaf.serial, "good");
    await writeBundle(`${dir}/m${i}.pem`, leaf, [ca]);
  }
  const engine = new Engine<string>({
    sources: [{ paths: [dir], sockets: ["/run/haproxy.sock"] }],
    mode,
    clock,
    store,
    sink,
    fetch: fakeCa.fetch,
    random: () => 0,
    ...options,
  });
  const outcomes: CertOutcome<string>[] = [];
  engine.on("outcome", (o) => outcomes.push(o));
  return { dir, clock, fakeCa, store, sink, engine, outcomes };
}

Deno.test("a one-off settles every certificate after its first outcome and leaves nothing armed", async () => {
  const t = await setup("one-off", 3);
  try {
    const batches: string[][] = [];
    t.engine.on("staplesChanged", (paths) => batches.push(paths));
    await t.engine.run();
    assert.deepEqual(t.outcomes.map((o) => o.status), ["stapled", "stapled", "stapled"]);
    assert.equal(t.fakeCa.requests.length, 3);
    assert.equal(t.sink.pushes.length, 3, "pushed before run() resolves");
    assert.deepEqual(
      batches,
      [[0, 1, 2].map((i) => `${t.dir}/m${i}.pem`)],
      "one batch, at the end",
    );
    assert.equal(t.clock.timerCount, 0, "no renewal, no rescan scheduled");
    assert.equal(t.engine.scheduler.size, 0);
  } finally {
    await Deno.remove(t.dir, { recursive: true });
  }
});

Deno.test("a one-off does not retry a failed renewal; each URL is tried once, as in the daemon", async () => {
  const t = await setup("one-off", 1);
  try {
    t.fakeCa.mode = "down";
    await t.engine.run();
    assert.deepEqual(t.outcomes.map((o) => o.status), ["failed"]);
    assert.equal((t.outcomes[0].error as { kind?: string }).kind, "OcspFetchError");
    assert.deepEqual(t.fakeCa.requests.map((r) => r.url.slice(18, 20)), ["/a", "/b"]);
    assert.equal(t.clock.timerCount, 0, "no retry scheduled");
    assert.equal(t.store.writes.length, 0);
  } finally {
    await Deno.remove(t.dir, { recursive: true });
  }
});

Deno.test("a one-off keeps at most -t renewals in flight", async () => {
  const t = await setup("one-off", 6, { renewalThreads: 2 });
  try {
    t.fakeCa.delayMs = 5;
    await t.engine.run();
    assert.equal(t.outcomes.filter((o) => o.status === "stapled").length, 6);
    assert.equal(t.fakeCa.maxInFlight, 2);
  } finally {
    await Deno.remove(t.dir, { recursive: true });
  }
});

Deno.test("check mode parses every certificate but fetches, writes and pushes nothing", async () => {
  const t = await setup("check", 2);
  try {
    await Deno.writeTextFile(`${t.dir}/broken.pem`, "not a certificate");
    await t.engine.run();
    const byPath = new Map(t.outcomes.map((o) => [o.path.slice(t.dir.length + 1), o.status]));
    assert.deepEqual(Object.fromEntries(byPath), {
      "broken.pem": "failed",
      "m0.pem": "parsed",
      "m1.pem": "parsed",
    });
    assert.equal(t.fakeCa.requests.length, 0);
    assert.equal(t.store.writes.length, 0);
    assert.equal(t.store.cleaned.length, 0, "not even the leftovers are touched");
    assert.equal(t.sink.pushes.length, 0);
    assert.deepEqual(t.outcomes[0].sockets, ["/run/haproxy.sock"]);
  } finally {
    await Deno.remove(t.dir, { recursive: true });
  }
});

Deno.test("run() is refused in daemon mode", async () => {
  const t = await setup("daemon", 0);
  try {
    await assert.rejects(t.engine.run(), RangeError);
  } finally {
    await Deno.remove(t.dir, { recursive: true });
  }
});
