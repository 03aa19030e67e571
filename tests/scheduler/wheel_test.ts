import assert from "node:assert/strict";
import { byDueOrder, Entry } from "../../src/scheduler/_entry.ts";
import { TimerWheel } from "../../src/scheduler/_wheel.ts";
import { random } from "./_harness.ts";

function entry(tick: number, seq: number, dueAt = tick): Entry {
  return new Entry({ queue: "q", subject: seq, payload: null, dueAt, tick, seq });
}

Deno.test("TimerWheel expires exactly the entries due, at any jump size, like a sorted list", () => {
  const rand = random(42);
  const start = 1_735_689_600; // a realistic absolute tick (seconds since the epoch)
  const wheel = new TimerWheel(start);
  const model = new Set<Entry>();
  let seq = 0;
  let now = start;
  for (let step = 0; step < 20_000; step++) {
    const op = rand();
    if (op < 0.55) {
      // Delays from 1 tick to 64^5 ticks, spread over every level.
      const delay = 1 + Math.floor(64 ** (rand() * 5));
      const e = entry(now + delay, seq++);
      assert.equal(wheel.insert(e), true);
      model.add(e);
    } else if (op < 0.7 && model.size > 0) {
      const victims = [...model];
      const victim = victims[Math.floor(rand() * victims.length)];
      assert.equal(wheel.remove(victim), true);
      assert.equal(wheel.remove(victim), false);
      model.delete(victim);
    } else {
      const jump = rand() < 0.9 ? Math.floor(rand() * 100) : Math.floor(64 ** (rand() * 5));
      now += jump;
      const got = wheel.advance(now).sort(byDueOrder);
      const want = [...model].filter((e) => e.tick <= now).sort(byDueOrder);
      assert.deepEqual(got.map((e) => e.seq), want.map((e) => e.seq));
      for (const e of want) model.delete(e);
    }
    assert.equal(wheel.size, model.size);
    assert.equal(wheel.first()?.seq, [...model].sort(byDueOrder)[0]?.seq);
  }
  assert.equal(wheel.drain().length, model.size);
  assert.equal(wheel.size, 0);
  assert.equal(wheel.first(), undefined);
});

Deno.test("TimerWheel refuses an entry that is already due", () => {
  const wheel = new TimerWheel(100);
  assert.equal(wheel.insert(entry(100, 0)), false);
  assert.equal(wheel.insert(entry(99, 1)), false);
  assert.equal(wheel.size, 0);
});

Deno.test("TimerWheel first() picks the earliest due time, then the earliest added, within a tick", () => {
  const wheel = new TimerWheel(0);
  wheel.insert(entry(5, 0, 4_900));
  wheel.insert(entry(5, 1, 4_100));
  wheel.insert(entry(5, 2, 4_100));
  wheel.insert(entry(9, 3, 8_500));
  assert.equal(wheel.first()?.seq, 1);
});

Deno.test("TimerWheel advance() to the same or an earlier tick expires nothing", () => {
  const wheel = new TimerWheel(10);
  wheel.insert(entry(11, 0));
  assert.deepEqual(wheel.advance(10), []);
  assert.deepEqual(wheel.advance(3), []);
  assert.equal(wheel.current, 10);
  assert.equal(wheel.advance(11).length, 1);
});

Deno.test("TimerWheel reset() moves only an empty wheel", () => {
  const wheel = new TimerWheel(10);
  wheel.reset(500);
  assert.equal(wheel.current, 500);
  wheel.insert(entry(600, 0));
  wheel.reset(550);
  assert.equal(wheel.current, 500);
});

Deno.test("TimerWheel handles the largest safe ticks", () => {
  const wheel = new TimerWheel(0);
  const far = entry(Number.MAX_SAFE_INTEGER, 0);
  assert.equal(wheel.insert(far), true);
  assert.equal(wheel.first(), far);
  assert.deepEqual(wheel.advance(Number.MAX_SAFE_INTEGER - 1), []);
  assert.deepEqual(wheel.advance(Number.MAX_SAFE_INTEGER), [far]);
});
