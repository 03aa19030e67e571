import assert from "node:assert/strict";
import { Scheduler, type Task } from "../../src/scheduler/mod.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { harness, sleep } from "./_harness.ts";

Deno.test("a queue never runs more handlers at once than its concurrency limit", async () => {
  let active = 0;
  let most = 0;
  const { clock, scheduler, runs } = harness({ renew: 2 }, {
    work: async () => {
      most = Math.max(most, ++active);
      await sleep(clock, 1_000);
      active--;
    },
  });
  const start = clock.now();
  for (const subject of ["a", "b", "c", "d", "e"]) {
    scheduler.add({ queue: "renew", subject, payload: null });
  }
  await clock.flush();
  assert.deepEqual(scheduler.stats("renew"), { scheduled: 0, waiting: 3, running: 2 });
  await clock.advance(10_000);
  assert.equal(most, 2);
  assert.deepEqual(runs.map((run) => [run.subject, run.at - start]), [
    ["a", 0],
    ["b", 0],
    ["c", 1_000],
    ["d", 1_000],
    ["e", 2_000],
  ]);
});

Deno.test("due tasks beyond the limit start first in, first out as slots free up", async () => {
  const { clock, scheduler, runs } = harness({ q: 1 }, { work: () => sleep(clock, 5_000) });
  const start = clock.now();
  scheduler.add({ queue: "q", subject: "busy", payload: null });
  scheduler.add({ queue: "q", subject: "due-at-2s", payload: null, delay: 2_000 });
  scheduler.add({ queue: "q", subject: "due-at-1s", payload: null, delay: 1_000 });
  scheduler.add({ queue: "q", subject: "due-at-3s", payload: null, delay: 3_000 });
  await clock.advance(30_000);
  assert.deepEqual(runs.map((run) => [run.subject, run.at - start]), [
    ["busy", 0],
    ["due-at-1s", 5_000],
    ["due-at-2s", 10_000],
    ["due-at-3s", 15_000],
  ]);
});

Deno.test("each queue has its own concurrency limit", async () => {
  const { clock, scheduler } = harness({ parse: 1, renew: 3 }, { work: () => sleep(clock, 1_000) });
  for (const subject of ["a", "b", "c", "d"]) {
    scheduler.add({ queue: "parse", subject, payload: null });
    scheduler.add({ queue: "renew", subject, payload: null });
  }
  await clock.flush();
  assert.deepEqual(scheduler.stats("parse"), { scheduled: 0, waiting: 3, running: 1 });
  assert.deepEqual(scheduler.stats("renew"), { scheduled: 0, waiting: 1, running: 3 });
  await clock.advance(4_000);
  assert.deepEqual(scheduler.stats("parse"), { scheduled: 0, waiting: 0, running: 0 });
});

Deno.test("a handler that throws or rejects is reported to onError and the queue keeps running", async () => {
  const clock = new FakeClock();
  const failures: [string, unknown][] = [];
  const scheduler = new Scheduler({
    clock,
    onError: (error, task) => failures.push([(error as Error).message, task.subject]),
  });
  const ran: unknown[] = [];
  scheduler.addQueue("q", {
    handler: (task: Task) => {
      ran.push(task.subject);
      if (task.subject === "throws") throw new Error("thrown");
      if (task.subject === "rejects") return Promise.reject(new Error("rejected"));
      return Promise.resolve();
    },
  });
  const thrown = scheduler.add({ queue: "q", subject: "throws", payload: null, delay: 1_000 });
  scheduler.add({ queue: "q", subject: "rejects", payload: null, delay: 2_000 });
  scheduler.add({ queue: "q", subject: "fine", payload: null, delay: 3_000 });
  await clock.advance(3_000);
  assert.deepEqual(ran, ["throws", "rejects", "fine"]);
  assert.deepEqual(failures, [["thrown", "throws"], ["rejected", "rejects"]]);
  assert.equal(thrown.state, "done");
  assert.deepEqual(scheduler.stats("q"), { scheduled: 0, waiting: 0, running: 0 });
});

Deno.test("failures are ignored by default and an onError that throws stops nothing", async () => {
  for (
    const onError of [undefined, () => {
      throw new Error("reporter broke");
    }]
  ) {
    const clock = new FakeClock();
    const scheduler = new Scheduler({ clock, onError });
    const ran: unknown[] = [];
    scheduler.addQueue("q", {
      handler: (task: Task) => {
        ran.push(task.subject);
        return Promise.reject(new Error("always"));
      },
    });
    scheduler.add({ queue: "q", subject: "first", payload: null, delay: 1_000 });
    scheduler.add({ queue: "q", subject: "second", payload: null, delay: 2_000 });
    await clock.advance(2_000);
    assert.deepEqual(ran, ["first", "second"]);
  }
});
