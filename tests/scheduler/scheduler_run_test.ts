import assert from "node:assert/strict";
import { type Clock, MAX_TIMER_DELAY_MS, Scheduler } from "../../src/scheduler/mod.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { DAY, harness, random } from "./_harness.ts";

Deno.test("a task added without a time runs now, after add() has returned", async () => {
  const { clock, scheduler, runs } = harness();
  const start = clock.now();
  const task = scheduler.add({ queue: "q", subject: "a.pem", payload: 1 });
  assert.equal(runs.length, 0);
  assert.equal(task.state, "waiting");
  await clock.flush();
  assert.deepEqual(runs, [{ queue: "q", subject: "a.pem", payload: 1, dueAt: start, at: start }]);
  assert.equal(task.state, "done");
});

Deno.test("a task added with a delay runs once the delay has passed, not before", async () => {
  const { clock, scheduler, runs } = harness();
  const start = clock.now();
  scheduler.add({ queue: "q", subject: "a.pem", payload: null, delay: 5_000 });
  await clock.advance(4_999);
  assert.equal(runs.length, 0);
  await clock.advance(1);
  assert.deepEqual(runs.map((run) => run.at), [start + 5_000]);
});

Deno.test("a task added for a time runs at that time", async () => {
  const { clock, scheduler, runs } = harness();
  const at = clock.now() + 3 * 3_600_000;
  scheduler.add({ queue: "q", subject: "a.pem", payload: null, at });
  await clock.advance(DAY);
  assert.deepEqual(runs.map((run) => run.at), [at]);
});

Deno.test("a task due in the past runs now", async () => {
  const { clock, scheduler, runs } = harness();
  const now = clock.now();
  scheduler.add({ queue: "q", subject: "a", payload: null, at: now - 60_000 });
  scheduler.add({ queue: "q", subject: "b", payload: null, delay: -5 });
  await clock.flush();
  assert.deepEqual(runs.map((run) => [run.subject, run.at]), [["a", now], ["b", now]]);
});

Deno.test("a task due between ticks runs at the next tick: never early, less than a tick late", async () => {
  for (const [tickMs, delay, runsAfter] of [[1_000, 1_500, 2_000], [60_000, 90_000, 120_000]]) {
    const { clock, scheduler, runs } = harness({ q: 1 }, { tickMs });
    const start = clock.now();
    scheduler.add({ queue: "q", subject: "a", payload: null, delay });
    await clock.advance(runsAfter - 1);
    assert.equal(runs.length, 0);
    await clock.advance(1);
    assert.deepEqual(runs.map((run) => run.at - start), [runsAfter]);
  }
});

Deno.test("tasks run in due order, and in the order added when due at the same time", async () => {
  const { clock, scheduler, runs } = harness({ q: 1 }, { tickMs: 1_000 });
  const t0 = clock.now();
  const plan: [string, number][] = [
    ["late", t0 + 9_000],
    ["same-1", t0 + 4_000],
    ["within-tick-late", t0 + 2_900],
    ["same-2", t0 + 4_000],
    ["within-tick-early", t0 + 2_100],
    ["first", t0 + 1_000],
    ["same-3", t0 + 4_000],
  ];
  for (const [subject, at] of plan) scheduler.add({ queue: "q", subject, payload: null, at });
  await clock.advance(10_000);
  assert.deepEqual(runs.map((run) => run.subject), [
    "first",
    "within-tick-early",
    "within-tick-late",
    "same-1",
    "same-2",
    "same-3",
    "late",
  ]);
});

Deno.test("tasks that fall due during one late wake-up still run in due order", async () => {
  // A clock whose timers fire 5 s late, as when the event loop is blocked.
  const clock = new FakeClock();
  const sluggish: Clock = {
    now: () => clock.now(),
    setTimeout: (cb, ms) => clock.setTimeout(cb, ms + 5_000),
    clearTimeout: (handle) => clock.clearTimeout(handle),
  };
  const scheduler = new Scheduler({ clock: sluggish });
  const ran: string[] = [];
  scheduler.addQueue("q", {
    handler: (task) => Promise.resolve(void ran.push(String(task.subject))),
  });
  const t0 = clock.now();
  // Added latest-first, all in one slot of the wheel's second level.
  scheduler.add({ queue: "q", subject: "c", payload: null, at: t0 + 66_000 });
  scheduler.add({ queue: "q", subject: "b", payload: null, at: t0 + 65_000 });
  scheduler.add({ queue: "q", subject: "a", payload: null, at: t0 + 64_500 });
  await clock.advance(71_000);
  assert.deepEqual(ran, ["a", "b", "c"]);
});

Deno.test("a task more than 24.8 days away runs on time through chained timers", async () => {
  const { clock, scheduler, runs } = harness();
  const start = clock.now();
  scheduler.add({ queue: "q", subject: "40 days", payload: null, delay: 40 * DAY });
  scheduler.add({ queue: "q", subject: "3 years", payload: null, delay: 1_096 * DAY });
  // The fake clock throws on any delay a real timer cannot take.
  assert.ok(clock.nextTimerAt()! - start <= MAX_TIMER_DELAY_MS);
  assert.equal(scheduler.nextDueAt(), start + 40 * DAY);
  await clock.advance(40 * DAY - 1);
  assert.equal(runs.length, 0);
  await clock.advance(1);
  assert.deepEqual(runs.map((run) => run.subject), ["40 days"]);
  await clock.advance(1_056 * DAY);
  assert.deepEqual(runs.map((run) => [run.subject, run.at - start]), [
    ["40 days", 40 * DAY],
    ["3 years", 1_096 * DAY],
  ]);
  assert.equal(clock.timerCount, 0);
});

Deno.test("100,000 tasks spread over 30 days each run once, never early, less than a tick late", async () => {
  const tickMs = 1_000;
  const { clock, scheduler, runs } = harness({ q: Infinity }, { tickMs });
  const rand = random(7);
  const count = 100_000;
  for (let i = 0; i < count; i++) {
    // Integral and fractional due times, from now to 30 days out: every wheel level below 64^4 ticks.
    const delay = rand() < 0.5 ? Math.floor(rand() * 30 * DAY) : rand() * 30 * DAY;
    scheduler.add({ queue: "q", subject: i, payload: null, delay });
  }
  assert.equal(scheduler.stats("q").scheduled + scheduler.stats("q").waiting, count);
  await clock.advance(30 * DAY + tickMs);
  assert.equal(runs.length, count);
  const seen = new Set(runs.map((run) => run.subject));
  assert.equal(seen.size, count);
  const badlyTimed = runs.filter((run) => run.at < run.dueAt || run.at - run.dueAt >= tickMs);
  assert.deepEqual(badlyTimed, []);
  for (let i = 1; i < runs.length; i++) assert.ok(runs[i - 1].dueAt <= runs[i].dueAt);
  assert.deepEqual(scheduler.stats("q"), { scheduled: 0, waiting: 0, running: 0 });
  assert.equal(scheduler.timerArmed, false);
  assert.equal(clock.timerCount, 0);
});
