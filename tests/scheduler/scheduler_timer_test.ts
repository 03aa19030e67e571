import assert from "node:assert/strict";
import { type Clock, Scheduler, systemClock } from "../../src/scheduler/mod.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { DAY, harness, sleep } from "./_harness.ts";

/** Wraps a fake clock to count how often the scheduler is woken up. */
function countingClock(clock: FakeClock): { clock: Clock; wakeUps: () => number } {
  let wakeUps = 0;
  return {
    clock: {
      now: () => clock.now(),
      setTimeout: (cb, ms) => clock.setTimeout(() => (wakeUps++, cb()), ms),
      clearTimeout: (handle) => clock.clearTimeout(handle),
    },
    wakeUps: () => wakeUps,
  };
}

Deno.test("no timer is armed while nothing is scheduled", async () => {
  const { clock, scheduler } = harness();
  assert.equal(scheduler.timerArmed, false);
  assert.equal(clock.timerCount, 0);
  const task = scheduler.add({ queue: "q", subject: "a", payload: null, delay: 60_000 });
  assert.equal(scheduler.timerArmed, true);
  assert.equal(clock.timerCount, 1);
  scheduler.cancel(task);
  assert.equal(scheduler.timerArmed, false);
  assert.equal(clock.timerCount, 0);
  scheduler.add({ queue: "q", subject: "a", payload: null, delay: 60_000 });
  await clock.advance(60_000);
  assert.equal(scheduler.timerArmed, false);
  assert.equal(clock.timerCount, 0);
  scheduler.add({ queue: "q", subject: "now", payload: null });
  assert.equal(clock.timerCount, 0);
});

Deno.test("one timer is armed, for the earliest task, and moved when an earlier one is added", () => {
  const { clock, scheduler } = harness();
  const start = clock.now();
  scheduler.add({ queue: "q", subject: "a", payload: null, delay: 3_600_000 });
  scheduler.add({ queue: "q", subject: "b", payload: null, delay: 7_200_000 });
  assert.equal(clock.timerCount, 1);
  assert.equal(clock.nextTimerAt(), start + 3_600_000);
  scheduler.add({ queue: "q", subject: "c", payload: null, delay: 60_000 });
  assert.equal(clock.timerCount, 1);
  assert.equal(clock.nextTimerAt(), start + 60_000);
});

Deno.test("an idle scheduler wakes up only when a task is due, not every tick", async () => {
  const fake = new FakeClock();
  const { clock, wakeUps } = countingClock(fake);
  const scheduler = new Scheduler({ clock, tickMs: 1_000 });
  scheduler.addQueue("q", { handler: () => Promise.resolve() });
  scheduler.add({ queue: "q", subject: "soon", payload: null, delay: 10 * 60_000 });
  scheduler.add({ queue: "q", subject: "later", payload: null, delay: 3 * DAY });
  await fake.advance(7 * DAY);
  assert.equal(wakeUps(), 2);
});

Deno.test("a task cancelled after its timer was armed costs at most one idle wake-up", async () => {
  const fake = new FakeClock();
  const { clock, wakeUps } = countingClock(fake);
  const scheduler = new Scheduler({ clock });
  const ran: unknown[] = [];
  scheduler.addQueue("q", { handler: (task) => Promise.resolve(void ran.push(task.subject)) });
  const early = scheduler.add({ queue: "q", subject: "early", payload: null, delay: 60_000 });
  scheduler.add({ queue: "q", subject: "late", payload: null, delay: DAY });
  scheduler.cancel(early);
  await fake.advance(2 * DAY);
  assert.deepEqual(ran, ["late"]);
  assert.ok(wakeUps() <= 2);
});

Deno.test("a timer the clock failed to clear fires without effect", async () => {
  const fake = new FakeClock();
  const leaky: Clock = {
    now: () => fake.now(),
    setTimeout: fake.setTimeout.bind(fake),
    clearTimeout() {},
  };
  const scheduler = new Scheduler({ clock: leaky });
  const ran: [unknown, number][] = [];
  scheduler.addQueue("q", {
    handler: (task) => Promise.resolve(void ran.push([task.subject, fake.now()])),
  });
  const start = fake.now();
  scheduler.cancel(scheduler.add({ queue: "q", subject: "a", payload: null, delay: 60_000 }));
  scheduler.add({ queue: "q", subject: "b", payload: null, delay: 120_000 });
  await fake.advance(60_000);
  assert.equal(scheduler.timerArmed, true);
  assert.equal(fake.timerCount, 1);
  await fake.advance(60_000);
  assert.deepEqual(ran, [["b", start + 120_000]]);
  assert.equal(fake.timerCount, 0);
});

Deno.test("nextDueAt() gives the first scheduled task's due time, not counting waiting ones", async () => {
  const { clock, scheduler } = harness({ q: 1 }, { work: () => sleep(clock, 1_000) });
  const start = clock.now();
  assert.equal(scheduler.nextDueAt(), undefined);
  scheduler.add({ queue: "q", subject: "b", payload: null, delay: 90_500 });
  scheduler.add({ queue: "q", subject: "a", payload: null, delay: 90_200 });
  scheduler.add({ queue: "q", subject: "c", payload: null, delay: 5 * DAY });
  assert.equal(scheduler.nextDueAt(), start + 90_200);
  scheduler.add({ queue: "q", subject: "busy", payload: null });
  scheduler.add({ queue: "q", subject: "waiting", payload: null });
  await clock.flush();
  assert.deepEqual(scheduler.stats("q"), { scheduled: 3, waiting: 1, running: 1 });
  assert.equal(scheduler.size, 4);
  assert.equal(scheduler.nextDueAt(), start + 90_200);
});

Deno.test("runAllNow() makes every scheduled task due now, in due order", async () => {
  const { clock, scheduler, runs } = harness();
  const now = clock.now();
  scheduler.add({ queue: "q", subject: "c", payload: null, delay: 30 * DAY });
  scheduler.add({ queue: "q", subject: "a", payload: null, delay: 1_000 });
  scheduler.add({ queue: "q", subject: "b", payload: null, delay: DAY });
  assert.equal(scheduler.runAllNow(), 3);
  assert.equal(scheduler.timerArmed, false);
  assert.equal(clock.timerCount, 0);
  await clock.flush();
  assert.deepEqual(runs.map((run) => [run.subject, run.at]), [["a", now], ["b", now], ["c", now]]);
  scheduler.add({ queue: "q", subject: "d", payload: null, delay: 1_000 });
  await clock.advance(999);
  assert.equal(runs.length, 3);
  await clock.advance(1);
  assert.equal(runs.length, 4);
});

Deno.test("close() cancels everything, clears the timer and waits for running handlers", async () => {
  const { clock, scheduler, runs } = harness({ q: 1 }, { work: () => sleep(clock, 1_000) });
  const running = scheduler.add({ queue: "q", subject: "running", payload: null });
  const waiting = scheduler.add({ queue: "q", subject: "waiting", payload: null });
  const scheduled = scheduler.add({ queue: "q", subject: "scheduled", payload: null, delay: DAY });
  await clock.flush();
  let closed = false;
  const closing = scheduler.close().then(() => closed = true);
  assert.equal(scheduler.closed, true);
  assert.deepEqual([running.state, waiting.state, scheduled.state], [
    "running",
    "cancelled",
    "cancelled",
  ]);
  assert.ok(running.signal.aborted && waiting.signal.aborted && scheduled.signal.aborted);
  assert.equal(scheduler.timerArmed, false);
  assert.equal(clock.timerCount, 1); // the running handler's own sleep
  await clock.flush();
  assert.equal(closed, false);
  await clock.advance(1_000);
  await closing;
  assert.equal(running.state, "done");
  const late = scheduler.add({ queue: "q", subject: "late", payload: null });
  assert.equal(late.state, "cancelled");
  assert.equal((late.signal.reason as DOMException).message, "Scheduler closed");
  await scheduler.close();
  await clock.advance(2 * DAY);
  assert.deepEqual(runs.map((run) => run.subject), ["running"]);
  assert.equal(clock.timerCount, 0);
});

Deno.test("close() clears a real armed timer, so nothing keeps the process alive", async () => {
  const scheduler = new Scheduler({ clock: systemClock });
  scheduler.addQueue("q", { handler: () => Promise.resolve() });
  scheduler.add({ queue: "q", subject: "a", payload: null, delay: 40 * DAY });
  assert.equal(scheduler.timerArmed, true);
  await scheduler.close();
  // Deno's test sanitizer fails this test if a real timer is still armed.
  assert.equal(scheduler.timerArmed, false);
});

Deno.test("systemClock reads the wall clock and its timers can be cleared", () => {
  const before = Date.now();
  const now = systemClock.now();
  assert.ok(now >= before && now <= Date.now());
  const handle = systemClock.setTimeout(() => assert.fail("cleared timer fired"), 10);
  systemClock.clearTimeout(handle);
});
