/**
 * The daemon with a fake clock and an in-memory staple store: days of
 * schedule in milliseconds. The CA's responder is an in-process fetch; the
 * certificate files are real (the finder reads them), and after each move of
 * the clock the test waits for the engine to be idle, not for real time.
 */
import assert from "node:assert/strict";
import { type Issued, type TestCa, TestCa as Ca, writeBundle } from "../../scripts/lib/pki.ts";
import { Daemon } from "../../src/daemon/mod.ts";
import { FakeCa, RecordingSink } from "./_fakes.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { MemoryStapleStore } from "../_helpers/memory_store.ts";

const H = 3_600_000;
const MIN = 60_000;

interface World {
  dir: string;
  clock: FakeClock;
  ca: TestCa;
  fakeCa: FakeCa;
  sink: RecordingSink;
  store: MemoryStapleStore;
  daemon: Daemon<string>;
  /** The staple of `name` in the store. */
  staple(name: string): Uint8Array | undefined;
  leaf(name: string, status?: "good" | "revoked"): Promise<Issued>;
  /** Advances fake time timer by timer (or `step` at a time), letting the engine settle between them. */
  run(ms: number, step?: number): Promise<void>;
  /** Starts the daemon and waits for its first scan's work. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const root = await Ca.root("Daemon Root");
const ca = await root.intermediate("Daemon CA");

async function world(
  options: { logdir?: string; sockets?: string[][] } = {},
): Promise<World> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-daemon-" });
  const clock = new FakeClock({ start: Date.now() });
  const fakeCa = new FakeCa(ca, clock);
  const sink = new RecordingSink();
  const store = new MemoryStapleStore();
  const daemon = new Daemon<string>({
    sources: (options.sockets ?? [["/run/haproxy.sock"]]).map((sockets) => ({
      paths: [dir],
      sockets,
    })),
    sink,
    store,
    clock,
    fetch: fakeCa.fetch,
    watch: false,
    random: () => 0,
    logdir: options.logdir,
  });
  const w: World = {
    dir,
    clock,
    ca,
    fakeCa,
    sink,
    store,
    daemon,
    staple: (name) => store.get(`${dir}/${name}.ocsp`),
    async start() {
      await daemon.start();
      await daemon.idle();
    },
    async leaf(name, status = "good") {
      const leaf = await ca.leaf(name, { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
      fakeCa.status.set(leaf.serial, status);
      await writeBundle(`${dir}/${name}.pem`, leaf, [ca]);
      return leaf;
    },
    async run(ms, step) {
      const end = clock.now() + ms;
      for (;;) {
        const next = step === undefined ? clock.nextTimerAt() : clock.now() + step;
        const target = next === undefined || next > end ? end : next;
        await clock.advanceTo(target);
        await daemon.idle();
        if (target >= end) return;
      }
    },
    async close() {
      await daemon.stop(1000);
      await Deno.remove(dir, { recursive: true });
    },
  };
  return w;
}

const sameBytes = (a?: Uint8Array, b?: Uint8Array) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

Deno.test("the daemon staples every certificate, then renews each about halfway through its response", async () => {
  const w = await world();
  try {
    const a = await w.leaf("a.example.test");
    const b = await w.leaf("b.example.test");
    await w.start();
    assert.ok(w.staple("a.example.test.pem") && w.staple("b.example.test.pem"), "first staples");
    assert.equal(w.fakeCa.count(a.serial), 1);
    assert.deepEqual(w.sink.pushes.map((p) => p.path).sort(), [
      `${w.dir}/a.example.test.pem`,
      `${w.dir}/b.example.test.pem`,
    ]);
    // Responses last 4 days: the next fetch is due after 2 days, not before.
    await w.run(47 * H, 30 * MIN);
    assert.equal(w.fakeCa.count(a.serial), 1);
    await w.run(2 * H, 10 * MIN);
    assert.equal(w.fakeCa.count(a.serial), 2, "renewed at the midpoint");
    assert.equal(w.fakeCa.count(b.serial), 2, "renewed at the midpoint");
    // A week of schedule: about one fetch every two days each, no storm.
    await w.run(7 * 24 * H, H);
    assert.ok(
      w.fakeCa.count(a.serial) >= 4 && w.fakeCa.count(a.serial) <= 6,
      `fetches: ${w.fakeCa.count(a.serial)}`,
    );
  } finally {
    await w.close();
  }
});

Deno.test("a replaced certificate file gets a new staple; a deleted one is never asked about again", async () => {
  const w = await world();
  try {
    await w.leaf("site");
    await w.start();
    const first = w.staple("site.pem");
    assert.ok(first, "first staple");
    // Replace the bundle with a new certificate (new serial).
    const renewed = await ca.leaf("site", { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
    w.fakeCa.status.set(renewed.serial, "good");
    await writeBundle(`${w.dir}/site.pem.tmp`, renewed, [ca]);
    await Deno.rename(`${w.dir}/site.pem.tmp`, `${w.dir}/site.pem`);
    await w.run(2 * MIN, 10_000);
    assert.equal(w.fakeCa.count(renewed.serial), 1, "staple for the new serial");
    assert.ok(!sameBytes(w.staple("site.pem"), first), "new staple in the store");
    // Delete it: no more requests, ever.
    await Deno.remove(`${w.dir}/site.pem`);
    await w.run(2 * MIN, 10_000);
    assert.ok(w.sink.forgotten.includes(`${w.dir}/site.pem`), "forgotten");
    const before = w.fakeCa.requests.length;
    await w.run(10 * 24 * H, 6 * H);
    assert.equal(w.fakeCa.requests.length, before);
    assert.equal(w.daemon.stats.certificates, 0);
  } finally {
    await w.close();
  }
});

Deno.test("while the responder is down the staple is kept and retries follow the table, then it recovers", async () => {
  const w = await world();
  try {
    await w.leaf("down");
    w.fakeCa.validityMs = 24 * H;
    await w.start();
    const staple = w.staple("down.pem");
    assert.ok(staple, "first staple");
    w.fakeCa.mode = "down";
    const start = w.clock.now();
    // The next renewal is due at the midpoint (12 h); retries then go 1, 2, 3 min, then hourly.
    await w.run(12 * H + 10 * MIN);
    await w.run(4 * H);
    const times = w.fakeCa.requests.slice(1).map((r) => Math.round((r.at - start) / MIN));
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.deepEqual(gaps.slice(0, 5), [1, 2, 3, 60, 60], `retry gaps in minutes: ${gaps}`);
    assert.deepEqual(w.staple("down.pem"), staple, "the good staple stays");
    // The staple has under 9 h left: the next retry comes within half of
    // that (not 12 h later, after it expired), and succeeds.
    w.fakeCa.mode = "ok";
    await w.run(4 * H + 10 * MIN);
    assert.ok(!sameBytes(w.staple("down.pem"), staple), "recovered");
  } finally {
    await w.close();
  }
});

Deno.test("a renewal that fails is reported as an outcome and retried; the recovery is an outcome too", async () => {
  const w = await world();
  try {
    await w.leaf("outage");
    w.fakeCa.mode = "down";
    const seen: string[] = [];
    w.daemon.on("outcome", (o) => seen.push(`${o.status} ${o.result?.action ?? ""}`.trim()));
    await w.start();
    assert.deepEqual(seen, ["failed"]);
    assert.equal(w.staple("outage.pem"), undefined);
    w.fakeCa.mode = "ok";
    await w.run(MIN + 1000); // the first retry, 60 s later (on the scheduler's 1 s tick)
    assert.deepEqual(seen, ["failed", "stapled fetched"]);
    assert.ok(w.staple("outage.pem"));
  } finally {
    await w.close();
  }
});

Deno.test("tryLater is retried like an outage, and each retry moves to the next OCSP URL", async () => {
  const w = await world();
  try {
    const leaf = await ca.leaf("urls", {
      ocspUrls: ["http://127.0.0.1:9/first", "http://127.0.0.1:9/second"],
    });
    w.fakeCa.status.set(leaf.serial, "good");
    await writeBundle(`${w.dir}/urls.pem`, leaf, [ca]);
    w.fakeCa.mode = "tryLater";
    await w.start();
    assert.equal(w.fakeCa.requests.length, 2, "both URLs tried");
    await w.run(MIN + 1000, 10_000);
    assert.equal(w.fakeCa.requests.length, 4, "first retry");
    const urls = w.fakeCa.requests.map((r) => r.url.includes("/first") ? "first" : "second");
    assert.deepEqual(urls.slice(0, 4), ["first", "second", "second", "first"]);
    assert.equal(w.staple("urls.pem"), undefined);
  } finally {
    await w.close();
  }
});

Deno.test("a revoked certificate's response is written and renewed on the normal schedule", async () => {
  const w = await world();
  try {
    const leaf = await w.leaf("revoked", "revoked");
    await w.start();
    assert.ok(w.staple("revoked.pem"), "revoked staple");
    assert.ok(w.store.has(`${w.dir}/.revoked.pem.ocsp.revoked`), "the revocation record");
    await w.run(2 * 24 * H + H, H);
    assert.equal(w.fakeCa.count(leaf.serial), 2, "renewed like a good one");
  } finally {
    await w.close();
  }
});

Deno.test("an unexpected exception drops only that certificate, with a stack trace in the logdir", async () => {
  const logdir = await Deno.makeTempDir({ prefix: "stapled-logdir-" });
  const w = await world({ logdir });
  try {
    const crashing = await w.leaf("crash");
    w.sink.crashOn.add(`${w.dir}/crash.pem`);
    await w.start();
    const trace = [...Deno.readDirSync(logdir)].find((e) => e.name.startsWith("stapled-trace-"));
    assert.ok(trace, "stack trace");
    assert.match(await Deno.readTextFile(`${logdir}/${trace.name}`), /a bug nobody expected/);
    const fine = await w.leaf("fine");
    await w.run(2 * MIN, 10_000);
    assert.equal(w.fakeCa.count(fine.serial), 1, "other certificates go on");
    // The dropped certificate is not renewed again until its file changes.
    const before = w.fakeCa.count(crashing.serial);
    await w.run(3 * 24 * H, 2 * H);
    assert.equal(w.fakeCa.count(crashing.serial), before);
  } finally {
    await w.close();
    await Deno.remove(logdir, { recursive: true });
  }
});

Deno.test("a broken certificate file waits for a change; an unreadable one is retried", async () => {
  const w = await world();
  try {
    await Deno.writeTextFile(
      `${w.dir}/broken.pem`,
      "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    );
    await w.start();
    await w.run(10 * MIN, MIN);
    assert.equal(w.fakeCa.requests.length, 0);
    // Fix the file: it is picked up at the next scan.
    const leaf = await ca.leaf("broken", { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
    w.fakeCa.status.set(leaf.serial, "good");
    await writeBundle(`${w.dir}/broken.pem`, leaf, [ca]);
    await w.run(2 * MIN, 10_000);
    assert.ok(w.staple("broken.pem"), "fixed file stapled");
  } finally {
    await w.close();
  }
});

Deno.test("stop() stops scheduling and closes the sink; nothing is left armed", async () => {
  const w = await world();
  await w.leaf("stop");
  await w.start();
  assert.ok(w.staple("stop.pem"), "staple");
  await w.daemon.stop();
  assert.ok(w.sink.closed);
  assert.equal(w.daemon.scheduler.timerArmed, false);
  assert.equal(w.clock.timerCount, 0);
  await Deno.remove(w.dir, { recursive: true });
});

Deno.test("an idle daemon has exactly one timer armed, for the next due task", async () => {
  const w = await world();
  try {
    for (let i = 0; i < 20; i++) await w.leaf(`idle-${i}`);
    await w.start();
    assert.equal(w.daemon.stats.renewed, 20);
    assert.equal(w.clock.timerCount, 1);
    // Armed on the scheduler's 1 s tick at or after the first due task.
    assert.equal(w.clock.nextTimerAt(), Math.ceil(w.daemon.scheduler.nextDueAt()! / 1000) * 1000);
  } finally {
    await w.close();
  }
});

Deno.test("a certificate served by two HAProxies gets its staple pushed to both", async () => {
  const w = await world({ sockets: [["/run/a.sock"], ["/run/b.sock"]] });
  try {
    await w.leaf("shared");
    await w.start();
    assert.ok(w.sink.pushes.length > 0, "push");
    assert.deepEqual(w.sink.pushes[0].sockets.sort(), ["/run/a.sock", "/run/b.sock"]);
    assert.equal(w.fakeCa.requests.length, 1, "fetched once for both");
  } finally {
    await w.close();
  }
});

Deno.test("a rescan asked for while a scan runs happens at once, not a refresh interval later", async () => {
  const w = await world();
  let asked = false;
  w.daemon.on("scan", () => {
    if (asked) return;
    asked = true;
    w.daemon.rescan();
  });
  try {
    await w.start();
    assert.ok(w.daemon.stats.scans >= 1, "first scan");
    await w.run(2000, 500);
    assert.ok(w.daemon.stats.scans >= 2, "the asked-for rescan");
    assert.ok(w.daemon.stats.scans <= 3, `scans: ${w.daemon.stats.scans}`);
  } finally {
    await w.close();
  }
});

Deno.test("changed staples are handed to staplesChanged in one batch after a second without changes", async () => {
  const w = await world();
  try {
    const batches: string[][] = [];
    w.daemon.on("staplesChanged", (paths) => batches.push([...paths].sort()));
    await w.leaf("one");
    await w.leaf("two");
    await w.start();
    assert.deepEqual(batches, []);
    await w.run(1000);
    assert.deepEqual(batches, [[`${w.dir}/one.pem`, `${w.dir}/two.pem`]]);
  } finally {
    await w.close();
  }
});

Deno.test("a missing issuer is looked for again, so adding <file>.issuer is enough", async () => {
  const w = await world();
  try {
    const leaf = await ca.leaf("orphan", { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
    w.fakeCa.status.set(leaf.serial, "good");
    await writeBundle(`${w.dir}/orphan.pem`, leaf, []);
    const kinds: string[] = [];
    w.daemon.on("outcome", (o) => kinds.push((o.error as { kind?: string })?.kind ?? o.status));
    await w.start();
    await w.run(10_000, 1000);
    assert.equal(w.staple("orphan.pem"), undefined, "never a staple without an issuer");
    assert.deepEqual(kinds, ["CertIssuerMissing"]);
    await Deno.writeTextFile(`${w.dir}/orphan.pem.issuer`, ca.pem);
    await w.run(2 * MIN, 10_000);
    assert.ok(w.staple("orphan.pem"), "stapled once the issuer file exists");
  } finally {
    await w.close();
  }
});

Deno.test("a certificate replaced by one without an OCSP URL loses the staple stapled wrote for the old one", async () => {
  const w = await world();
  try {
    await w.leaf("moved");
    await w.start();
    assert.ok(w.staple("moved.pem"), "first staple");
    const plain = await ca.leaf("moved");
    await writeBundle(`${w.dir}/.moved.tmp`, plain, [ca]);
    await Deno.rename(`${w.dir}/.moved.tmp`, `${w.dir}/moved.pem`);
    await w.run(2 * MIN, 10_000);
    assert.equal(w.staple("moved.pem"), undefined, "stale staple removed");
    assert.ok(w.sink.forgotten.includes(`${w.dir}/moved.pem`));
  } finally {
    await w.close();
  }
});
