/**
 * Warm starts from the state file (`--state-dir`): an unchanged certificate
 * file whose unchanged staple was verified before is not read at all (its
 * staple is "recalled"); any change of the certificate file or the staple
 * means a full read and check; a certificate file unchanged since its leaf's
 * signature verified is not verified again. Real files (the staples too, so
 * their fingerprints are real), a fake clock and an in-process CA.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { type CertOutcome, Daemon, Engine } from "../../src/daemon/mod.ts";
import type { FirstPassSummary } from "../../src/daemon/_first_pass.ts";
import { FileStapleStore, writeStapleAtomic } from "../../src/staples/mod.ts";
import { LeafCert } from "../../src/certs/leaf_cert.ts";
import { FakeCa, RecordingSink } from "./_fakes.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const H = 3_600_000;
const root = await TestCa.root("Recall Root");
const ca = await root.intermediate("Recall CA");
/** Another CA with the same name and its own key. */
const impostor = await root.intermediate("Recall CA");

interface World {
  dir: string;
  stateDir: string;
  clock: FakeClock;
  fakeCa: FakeCa;
  sink: RecordingSink;
  /** A fresh one-off engine over the directory, with the state directory. */
  oneOff(options?: { minimumValidity?: number }): Promise<CertOutcome<string>[]>;
  /** A daemon over the directory, with the state directory (not started). */
  daemon(): Daemon<string>;
  close(): Promise<void>;
}

async function world(names: string[]): Promise<World> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-recall-" });
  const stateDir = await Deno.makeTempDir({ prefix: "stapled-recall-state-" });
  const clock = new FakeClock({ start: Date.now() });
  const fakeCa = new FakeCa(ca, clock);
  const sink = new RecordingSink();
  for (const name of names) {
    const leaf = await ca.leaf(name, { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
    fakeCa.status.set(leaf.serial, "good");
    await writeBundle(`${dir}/${name}.pem`, leaf, [ca]);
  }
  // Both modes over the same files, state directory, CA and sink.
  const common = () => ({
    sources: [{ paths: [dir], sockets: ["/run/haproxy.sock"] }],
    clock,
    store: new FileStapleStore({ clock }),
    stateDir,
    sink,
    fetch: fakeCa.fetch,
    random: () => 0,
  });
  return {
    dir,
    stateDir,
    clock,
    fakeCa,
    sink,
    daemon: () => new Daemon<string>({ ...common(), watch: false }),
    async oneOff(options = {}) {
      const engine = new Engine<string>({ ...common(), mode: "one-off", ...options });
      const outcomes: CertOutcome<string>[] = [];
      engine.on("outcome", (o) => outcomes.push(o));
      await engine.run();
      return outcomes;
    },
    async close() {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(stateDir, { recursive: true });
    },
  };
}

/** Counts the leaf signature checks made while `run` runs. */
async function countingLeafChecks<T>(
  run: () => Promise<T>,
): Promise<{ result: T; checks: number }> {
  const original = LeafCert.prototype.isIssuedBy;
  let checks = 0;
  LeafCert.prototype.isIssuedBy = function (this: LeafCert, issuer) {
    checks++;
    return original.call(this, issuer);
  };
  try {
    return { result: await run(), checks };
  } finally {
    LeafCert.prototype.isIssuedBy = original;
  }
}

const actions = (outcomes: CertOutcome<string>[]) =>
  outcomes.map((o) => o.result?.action ?? o.status);

Deno.test("a warm one-off reuses unchanged staples from the state file without reading the certificate files", async () => {
  const w = await world(["a.example.test", "b.example.test"]);
  try {
    assert.deepEqual(actions(await w.oneOff()), ["fetched", "fetched"]);
    w.sink.pushes.length = 0;
    const { result, checks } = await countingLeafChecks(() => w.oneOff());
    assert.deepEqual(actions(result), ["recalled", "recalled"]);
    assert.equal(checks, 0, "no leaf read, no signature checked");
    assert.equal(w.fakeCa.requests.length, 2, "nothing fetched on the warm run");
    const staple = await Deno.readFile(`${w.dir}/a.example.test.pem.ocsp`);
    const pushed = w.sink.pushes.find((p) => p.path === `${w.dir}/a.example.test.pem`);
    assert.equal(pushed?.size, staple.length, "the staple read for the push is the one on disk");
    assert.equal(result[0].result?.response.status, "good");
  } finally {
    await w.close();
  }
});

Deno.test("a certificate file rewritten since its staple was verified is read again, and a leaf its CA did not sign is refused", async () => {
  const w = await world(["a.example.test"]);
  try {
    await w.oneOff();
    const path = `${w.dir}/a.example.test.pem`;
    const before = await Deno.stat(path);
    // A leaf of the same name signed by another key of the CA's name, beside the real CA.
    const forged = await impostor.leaf("a.example.test", { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
    await Deno.writeTextFile(path, forged.pem + ca.pem);
    const later = new Date(before.mtime!.getTime() + 1000);
    await Deno.utime(path, later, later);
    const outcomes = await w.oneOff();
    assert.equal(outcomes[0].status, "failed");
    assert.equal((outcomes[0].error as { kind?: string }).kind, "CertValidationError");
  } finally {
    await w.close();
  }
});

Deno.test("an unchanged certificate file's leaf signature is verified once, across runs", async () => {
  const w = await world(["a.example.test"]);
  try {
    const path = `${w.dir}/a.example.test.pem`;
    const first = await countingLeafChecks(() => w.oneOff());
    assert.equal(first.checks, 1);
    // The staple is gone (a cold run for the staple), the certificate file is the same.
    await Deno.remove(`${path}.ocsp`);
    const second = await countingLeafChecks(() => w.oneOff());
    assert.deepEqual(actions(second.result), ["fetched"]);
    assert.equal(second.checks, 0, "the remembered check is reused");
    // The file touched: its leaf is checked again.
    await Deno.remove(`${path}.ocsp`);
    const later = new Date(Date.now() + 60_000);
    await Deno.utime(path, later, later);
    const third = await countingLeafChecks(() => w.oneOff());
    assert.deepEqual(actions(third.result), ["fetched"]);
    assert.equal(third.checks, 1);
  } finally {
    await w.close();
  }
});

Deno.test("a staple rewritten since it was verified is not recalled but checked in full", async () => {
  const w = await world(["a.example.test"]);
  try {
    await w.oneOff();
    const staple = `${w.dir}/a.example.test.pem.ocsp`;
    await writeStapleAtomic(staple, await Deno.readFile(staple)); // same bytes, a new file
    assert.deepEqual(actions(await w.oneOff()), ["recycled"]);
    assert.deepEqual(actions(await w.oneOff()), ["recalled"], "remembered again after the check");
    await Deno.writeFile(staple, new Uint8Array([0x30, 0x03, 1, 2, 3]));
    assert.deepEqual(actions(await w.oneOff()), ["fetched"], "garbage is never reused");
  } finally {
    await w.close();
  }
});

Deno.test("a remembered staple not valid for longer than the minimum validity is renewed, not recalled", async () => {
  const w = await world(["a.example.test"]);
  try {
    await w.oneOff();
    // 4-day responses: 3 days later, 23 h are left; 25 h are asked for.
    await w.clock.advanceTo(w.clock.now() + 3 * 24 * H);
    assert.deepEqual(actions(await w.oneOff({ minimumValidity: 25 * 3600 })), ["fetched"]);
    assert.equal(w.fakeCa.requests.length, 2);
  } finally {
    await w.close();
  }
});

Deno.test("a daemon started warm recalls each staple, pushes it, shows its facts, and renews it after a full read", async () => {
  const w = await world(["a.example.test"]);
  try {
    await w.oneOff();
    w.sink.pushes.length = 0;
    const daemon = w.daemon();
    const outcomes: CertOutcome<string>[] = [];
    daemon.on("outcome", (o) => outcomes.push(o));
    try {
      await daemon.start();
      await daemon.idle();
      assert.deepEqual(actions(outcomes), ["recalled"]);
      assert.equal(w.sink.pushes.length, 1, "pushed to HAProxy at start");
      const cert = daemon.health().certificates[0];
      assert.match(cert.subject, /a\.example\.test/);
      assert.equal(cert.staple, "good");
      // 4-day responses are renewed about halfway: a full read, then a fetch.
      for (let i = 0; i < 3 * 24; i++) {
        await w.clock.advanceTo(w.clock.now() + H);
        await daemon.idle();
      }
      assert.deepEqual(actions(outcomes).slice(0, 2), ["recalled", "fetched"]);
      assert.equal(w.fakeCa.requests.length, 2);
    } finally {
      await daemon.stop(1000);
    }
  } finally {
    await w.close();
  }
});

Deno.test("a daemon's first pass ends in one summary of what it did, once every certificate has an outcome", async () => {
  const w = await world(["a.example.test", "b.example.test", "c.example.test"]);
  try {
    await w.oneOff();
    await Deno.remove(`${w.dir}/c.example.test.pem.ocsp`);
    const daemon = w.daemon();
    const passes: FirstPassSummary[] = [];
    daemon.on("firstPass", (s) => passes.push(s));
    try {
      await daemon.start();
      await daemon.idle();
      assert.equal(passes.length, 1);
      const { durationMs: _, nextAt, ...counts } = passes[0];
      assert.deepEqual(counts, {
        certificates: 3,
        reused: 2,
        fetched: 1,
        revoked: 0,
        failed: 0,
        skipped: 0,
      });
      assert.ok(nextAt! > w.clock.now() + 24 * H, "the first renewal is days away");
      await w.clock.advanceTo(w.clock.now() + 3 * 24 * H);
      await daemon.idle();
      assert.equal(passes.length, 1, "once");
    } finally {
      await daemon.stop(1000);
    }
  } finally {
    await w.close();
  }
});
