import assert from "node:assert/strict";
import { Scheduler } from "../../src/scheduler/mod.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const handler = () => Promise.resolve();

Deno.test("new Scheduler() rejects a tick that is not a positive integer", () => {
  for (const tickMs of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => new Scheduler({ tickMs }), {
      name: "RangeError",
      message: `Cannot create scheduler: tickMs must be a positive integer, got ${tickMs}`,
    });
  }
});

Deno.test("addQueue() rejects a taken name and a bad concurrency", () => {
  const scheduler = new Scheduler({ clock: new FakeClock() });
  scheduler.addQueue("renew", { handler, concurrency: Infinity });
  assert.throws(() => scheduler.addQueue("renew", { handler }), {
    name: "RangeError",
    message: 'Cannot add queue: "renew" already exists',
  });
  for (const concurrency of [0, 1.5, -Infinity, NaN]) {
    assert.throws(() => scheduler.addQueue("parse", { handler, concurrency }), {
      name: "RangeError",
      message:
        `Cannot add queue "parse": concurrency must be a positive integer, got ${concurrency}`,
    });
  }
});

Deno.test("add() rejects an unknown queue, both delay and at, and a time that is not a number", () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  scheduler.addQueue("q", { handler });
  assert.throws(() => scheduler.add({ queue: "nope", subject: "a", payload: null }), {
    name: "RangeError",
    message: 'Cannot add task: no queue named "nope"',
  });
  assert.throws(() => scheduler.add({ queue: "q", subject: "a", payload: null, delay: 1, at: 2 }), {
    name: "RangeError",
    message: 'Cannot add task to "q": give delay or at, not both',
  });
  for (const delay of [NaN, Infinity, Number.MAX_SAFE_INTEGER]) {
    assert.throws(() => scheduler.add({ queue: "q", subject: "a", payload: null, delay }), {
      name: "RangeError",
      message: `Cannot add task to "q": due time ${clock.now() + delay} is not a valid time`,
    });
  }
  assert.equal(scheduler.size, 0);
});

Deno.test("stats() and pendingTask() reject an unknown queue", () => {
  const scheduler = new Scheduler({ clock: new FakeClock() });
  assert.throws(() => scheduler.stats("nope"), {
    message: 'Cannot read stats: no queue named "nope"',
  });
  assert.throws(() => scheduler.pendingTask("nope", "a"), {
    message: 'Cannot find task: no queue named "nope"',
  });
});
