import assert from "node:assert/strict";
import { FAKE_CLOCK_START, FakeClock } from "../_helpers/fake_clock.ts";

Deno.test("FakeClock starts at 2025-01-01 or the given time and stands still", async () => {
  assert.equal(new FakeClock().now(), FAKE_CLOCK_START);
  const clock = new FakeClock({ start: 1_000 });
  await clock.flush();
  assert.equal(clock.now(), 1_000);
});

Deno.test("FakeClock.advance() fires due timers in time order, ties in arming order", async () => {
  const clock = new FakeClock({ start: 0 });
  const fired: [string, number][] = [];
  const record = (name: string) => () => fired.push([name, clock.now()]);
  clock.setTimeout(record("c"), 300);
  clock.setTimeout(record("a1"), 100);
  clock.setTimeout(record("a2"), 100);
  clock.setTimeout(record("never"), 301);
  clock.setTimeout(record("zero"), -5);
  assert.equal(clock.timerCount, 5);
  await clock.advance(300);
  assert.deepEqual(fired, [["zero", 0], ["a1", 100], ["a2", 100], ["c", 300]]);
  assert.equal(clock.now(), 300);
  assert.equal(clock.timerCount, 1);
  assert.equal(clock.nextTimerAt(), 301);
});

Deno.test("FakeClock.advance() fires timers armed by timers when they fall due in range", async () => {
  const clock = new FakeClock({ start: 0 });
  const fired: number[] = [];
  function tick() {
    fired.push(clock.now());
    clock.setTimeout(tick, 1_000);
  }
  clock.setTimeout(tick, 1_000);
  await clock.advance(3_500);
  assert.deepEqual(fired, [1_000, 2_000, 3_000]);
  await clock.advanceTo(4_000);
  assert.deepEqual(fired, [1_000, 2_000, 3_000, 4_000]);
});

Deno.test("FakeClock.advance() lets async work finish before the next timer", async () => {
  const clock = new FakeClock({ start: 0 });
  const log: string[] = [];
  clock.setTimeout(async () => {
    for (let i = 0; i < 50; i++) await Promise.resolve();
    log.push("first done");
  }, 10);
  clock.setTimeout(() => log.push("second"), 20);
  await clock.advance(20);
  assert.deepEqual(log, ["first done", "second"]);
});

Deno.test("FakeClock.clearTimeout() disarms a timer and ignores unknown handles", async () => {
  const clock = new FakeClock();
  const handle = clock.setTimeout(() => assert.fail("cleared timer fired"), 10);
  clock.clearTimeout(handle);
  clock.clearTimeout(handle);
  clock.clearTimeout("not a handle");
  assert.equal(clock.timerCount, 0);
  assert.equal(clock.nextTimerAt(), undefined);
  await clock.advance(100);
});

Deno.test("FakeClock refuses delays real timers cannot take and moving backwards", async () => {
  const clock = new FakeClock();
  assert.throws(() => clock.setTimeout(() => {}, 2 ** 31), {
    name: "RangeError",
    message: "Cannot set timeout: 2147483648 ms exceeds the 2147483647 ms limit of real timers",
  });
  await assert.rejects(clock.advance(-1), {
    name: "RangeError",
    message: "Cannot advance clock: -1 is not a finite, non-negative delay",
  });
  await assert.rejects(clock.advanceTo(clock.now() - 1), RangeError);
});

Deno.test("FakeClock.advance() rejects when a timer callback throws, at that timer's time", async () => {
  const clock = new FakeClock({ start: 0 });
  clock.setTimeout(() => {
    throw new Error("boom");
  }, 50);
  await assert.rejects(clock.advance(100), { message: "boom" });
  assert.equal(clock.now(), 50);
});
