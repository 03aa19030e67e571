/**
 * The daemon and its responders, on a fake clock: a responder that accepts
 * connections and never answers (a real socket on 127.0.0.1) costs only its
 * own certificates' renewal slots, and a responder marked down by the
 * circuit breaker gets one probe at a time on the breaker's schedule while
 * its certificates keep their staples and wait; answered renewals are
 * checked and written while the next requests to their responder are out,
 * with never more than `-t` of them in flight.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { Daemon, Engine } from "../../src/daemon/mod.ts";
import { FakeCa, RecordingSink } from "./_fakes.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { MemoryStapleStore } from "../_helpers/memory_store.ts";
import { neverAnswer, startRawServer } from "../ocsp/responders/_servers.ts";

const H = 3_600_000;
const MIN = 60_000;

const root = await TestCa.root("Responders Root");
const deadCa = await root.intermediate("Dead CA");
const liveCa = await root.intermediate("Live CA");

/** Waits in real time (at most `ms`) until `done()` holds. */
async function until(done: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

Deno.test({
  name:
    "20 certificates of a responder that never answers, listed first, do not hold up the 5 of a healthy responder",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-isolation-" });
  const clock = new FakeClock({ start: Date.now() });
  const dead = startRawServer(neverAnswer);
  const live = new FakeCa(liveCa, clock);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => live.fetch(req),
  );
  const store = new MemoryStapleStore();
  const daemon = new Daemon({
    sources: [{ paths: [dir] }],
    store,
    clock,
    sink: new RecordingSink(),
    watch: false,
    random: () => 0,
    proxySettings: {},
  });
  try {
    // File names sort the dead CA's certificates first, as the finder lists them.
    for (let i = 0; i < 20; i++) {
      const leaf = await deadCa.leaf(`a-dead-${i}`, { ocspUrls: [`${dead.url}/ocsp`] });
      await writeBundle(`${dir}/a-dead-${String(i).padStart(2, "0")}.pem`, leaf, [deadCa]);
    }
    for (let i = 0; i < 5; i++) {
      const leaf = await liveCa.leaf(`b-live-${i}`, {
        ocspUrls: [`http://127.0.0.1:${server.addr.port}/ocsp`],
      });
      live.status.set(leaf.serial, "good");
      await writeBundle(`${dir}/b-live-${i}.pem`, leaf, [liveCa]);
    }
    const liveStaples = () =>
      [0, 1, 2, 3, 4].filter((i) => store.get(`${dir}/b-live-${i}.pem.ocsp`)).length;
    await daemon.start();
    // No fake time passes: the dead responder's two slots hang, the live CA's are free.
    assert.ok(await until(() => liveStaples() === 5), `${liveStaples()} of 5 live stapled`);
    assert.ok(await until(() => dead.requests.length === 2), "two requests to the dead CA");
    assert.equal(dead.requests.length, 2, "-t 2: two renewals of the dead responder in flight");
    assert.equal(store.get(`${dir}/a-dead-00.pem.ocsp`), undefined);
    // Each timeout (10 s) frees a slot of the dead responder; after 3 the
    // breaker marks it down and the rest fail fast without a request.
    await clock.advance(10_000);
    assert.ok(await until(() => dead.requests.length === 4));
    await clock.advance(10_000);
    await daemon.idle();
    assert.equal(dead.requests.length, 4, "the others were never sent to the dead responder");
    assert.equal(daemon.stats.failures, 4, "only the four timeouts count as failures");
    assert.equal(daemon.stats.renewed, 5);
  } finally {
    await daemon.stop(1000);
    await dead.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a responder marked down gets one probe at a time (after about 1, 2, 3 min, then hourly) and its certificates resume when it answers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-breaker-" });
  const clock = new FakeClock({ start: Date.now() });
  const fakeCa = new FakeCa(deadCa, clock);
  const store = new MemoryStapleStore();
  const sink = new RecordingSink();
  const daemon = new Daemon({
    sources: [{ paths: [dir], sockets: ["/run/haproxy.sock"] }],
    store,
    clock,
    sink,
    fetch: fakeCa.fetch,
    watch: false,
    random: () => 0,
    proxySettings: {},
  });
  const run = async (ms: number) => {
    const end = clock.now() + ms;
    for (;;) {
      const next = clock.nextTimerAt();
      const target = next === undefined || next > end ? end : next;
      await clock.advanceTo(target);
      await daemon.idle();
      if (target >= end) return;
    }
  };
  try {
    const names = ["c0", "c1", "c2", "c3", "c4", "c5"];
    for (const name of names) {
      const leaf = await deadCa.leaf(name, { ocspUrls: ["http://ocsp.dead.test/"] });
      fakeCa.status.set(leaf.serial, "good");
      await writeBundle(`${dir}/${name}.pem`, leaf, [deadCa]);
    }
    fakeCa.validityMs = 24 * H;
    await daemon.start();
    await daemon.idle();
    const staples = names.map((n) => store.get(`${dir}/${n}.pem.ocsp`));
    assert.ok(staples.every(Boolean), "first staples");
    // The CA goes away; the renewals are due at the midpoint (12 h).
    fakeCa.mode = "down";
    const before = fakeCa.requests.length;
    await run(12 * H);
    // Three fail (with -t 2, a fourth may be out already), then the breaker
    // is down and the others are not sent.
    const sent = fakeCa.requests.length - before;
    assert.ok(sent >= 3 && sent <= 4, `${sent} requests before the breaker opened`);
    assert.equal(daemon.stats.failures, sent, "only the requests sent count as failures");
    const t0 = fakeCa.requests[before + sent - 1].at; // it went down
    await run(10 * MIN);
    const probes = fakeCa.requests.slice(before + sent).map((r) => Math.round((r.at - t0) / 1000));
    // One probe each time: after 54 s, 108 s more, 162 s more (the table's
    // 1, 2, 3 min, jittered by -10 % with random 0); the next is hourly.
    assert.deepEqual(probes, [54, 162, 324], `probe times in s: ${probes}`);
    await run(60 * MIN);
    assert.equal(fakeCa.requests.length - before, sent + 4, "one more probe within the hour");
    // The staples stay, nothing is forgotten or pushed meanwhile.
    assert.deepEqual(names.map((n) => store.get(`${dir}/${n}.pem.ocsp`)), staples);
    assert.deepEqual(sink.forgotten, []);
    // Back up: the next probe succeeds and every certificate is renewed soon after.
    fakeCa.mode = "ok";
    const pushes = sink.pushes.length;
    await run(60 * MIN);
    const renewed = names.filter((n, i) => store.get(`${dir}/${n}.pem.ocsp`) !== staples[i]);
    assert.deepEqual(renewed, names, "all renewed after the responder came back");
    assert.equal(sink.pushes.length - pushes, names.length);
  } finally {
    await daemon.stop(1000);
    await Deno.remove(dir, { recursive: true });
  }
});

/** A store whose writes wait until `open()`: a slow disk (fsync) standing still. */
class GatedStore extends MemoryStapleStore {
  waiting = 0;
  #gate = Promise.withResolvers<void>();
  open(): void {
    this.#gate.resolve();
  }
  override async write(staplePath: string, bytes: Uint8Array): Promise<void> {
    this.waiting++;
    await this.#gate.promise;
    this.waiting--;
    return super.write(staplePath, bytes);
  }
}

Deno.test("while answered renewals are being written, the next requests to their responder go out, never more than -t at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-overlap-" });
  const clock = new FakeClock({ start: Date.now() });
  const fakeCa = new FakeCa(liveCa, clock);
  fakeCa.delayMs = 5; // so that two requests are in flight together
  const store = new GatedStore();
  try {
    for (let i = 0; i < 8; i++) {
      const leaf = await liveCa.leaf(`o${i}`, { ocspUrls: ["http://ocsp.live.test/"] });
      fakeCa.status.set(leaf.serial, "good");
      await writeBundle(`${dir}/o${i}.pem`, leaf, [liveCa]);
    }
    const engine = new Engine<string>({
      sources: [{ paths: [dir] }],
      mode: "one-off",
      clock,
      store,
      sink: new RecordingSink(),
      fetch: fakeCa.fetch,
      random: () => 0,
      proxySettings: {},
      renewalThreads: 2,
    });
    const run = engine.run();
    // -t 2: two answers wait on the disk, and two more requests were sent meanwhile.
    assert.ok(await until(() => store.waiting === 4, 2000), `${store.waiting} writes waiting`);
    assert.equal(fakeCa.requests.length, 4, "four asked while the disk stands still");
    store.open();
    await run;
    assert.equal(store.writes.length, 8);
    assert.equal(fakeCa.requests.length, 8);
    assert.equal(fakeCa.maxInFlight, 2, "never more than -t requests in flight");
  } finally {
    store.open();
    await Deno.remove(dir, { recursive: true });
  }
});
