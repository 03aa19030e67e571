import assert from "node:assert/strict";
import { Scheduler, type Task } from "../../src/scheduler/mod.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { DAY, harness, random, sleep } from "./_harness.ts";

Deno.test("a task cancelled before it is due never runs", async () => {
  const { clock, scheduler, runs } = harness();
  const task = scheduler.add({ queue: "q", subject: "a.pem", payload: null, delay: 60_000 });
  assert.equal(scheduler.cancel(task), true);
  assert.equal(task.state, "cancelled");
  assert.equal(task.signal.aborted, true);
  assert.equal((task.signal.reason as DOMException).name, "AbortError");
  assert.equal(scheduler.cancel(task), false);
  assert.equal(scheduler.pendingTask("q", "a.pem"), undefined);
  await clock.advance(DAY);
  assert.deepEqual(runs, []);
});

Deno.test("a task cancelled after it fell due but before it started never runs", async () => {
  const { clock, scheduler, runs } = harness();
  const task = scheduler.add({ queue: "q", subject: "a.pem", payload: null });
  assert.equal(scheduler.cancel(task), true);
  await clock.flush();
  assert.deepEqual(runs, []);
});

Deno.test("cancel() returns false for a finished task and for another scheduler's task", async () => {
  const { clock, scheduler } = harness();
  const other = harness().scheduler;
  const done = scheduler.add({ queue: "q", subject: "a", payload: null });
  await clock.flush();
  assert.equal(done.state, "done");
  assert.equal(scheduler.cancel(done), false);
  const foreign = other.add({ queue: "q", subject: "b", payload: null, delay: 1_000 });
  assert.equal(scheduler.cancel(foreign), false);
  assert.equal(foreign.state, "scheduled");
  const lookalike = { ...foreign, queue: "nope" } as Task;
  assert.equal(scheduler.cancel(lookalike), false);
  await other.close();
});

Deno.test("cancelSubject() removes the subject's pending tasks in every queue and no others", async () => {
  const { clock, scheduler, runs } = harness({ parse: 1, renew: 1 });
  const certificate = { path: "/etc/ssl/a.pem" };
  scheduler.add({ queue: "parse", subject: certificate, payload: null, delay: 1_000 });
  scheduler.add({ queue: "renew", subject: certificate, payload: null, delay: 2_000 });
  scheduler.add({
    queue: "renew",
    subject: { path: "/etc/ssl/a.pem" },
    payload: "twin",
    delay: 2_000,
  });
  scheduler.add({ queue: "renew", subject: "/etc/ssl/b.pem", payload: null, delay: 3_000 });
  assert.equal(scheduler.cancelSubject(certificate), 2);
  assert.equal(scheduler.cancelSubject(certificate), 0);
  await clock.advance(10_000);
  assert.deepEqual(runs.map((run) => run.payload ?? run.subject), ["twin", "/etc/ssl/b.pem"]);
});

Deno.test("cancelSubject() removes a task waiting for a concurrency slot", async () => {
  const { clock, scheduler, runs } = harness({ q: 1 }, { work: () => sleep(clock, 1_000) });
  scheduler.add({ queue: "q", subject: "busy", payload: null });
  scheduler.add({ queue: "q", subject: "queued", payload: null });
  scheduler.add({ queue: "q", subject: "kept", payload: null });
  await clock.flush();
  assert.deepEqual(scheduler.stats("q"), { scheduled: 0, waiting: 2, running: 1 });
  assert.equal(scheduler.cancelSubject("queued"), 1);
  await clock.advance(5_000);
  assert.deepEqual(runs.map((run) => run.subject), ["busy", "kept"]);
});

Deno.test("cancelSubject() aborts a running task's signal without interrupting its handler", async () => {
  const { clock, scheduler } = harness({ q: 1 }, {
    work: async (task) => {
      task.signal.addEventListener("abort", () => results.push("abort event"));
      await sleep(clock, 1_000);
      results.push(task.signal.aborted ? "dropped stale result" : "kept result");
    },
  });
  const results: string[] = [];
  const task = scheduler.add({ queue: "q", subject: "a.pem", payload: null });
  await clock.flush();
  assert.equal(task.state, "running");
  assert.equal(scheduler.cancelSubject("a.pem"), 1);
  assert.equal(scheduler.cancelSubject("a.pem"), 0);
  assert.equal(task.state, "running");
  await clock.advance(1_000);
  assert.deepEqual(results, ["abort event", "dropped stale result"]);
  assert.equal(task.state, "done");
});

Deno.test("cancel() aborts a running task's signal once and lets it finish", async () => {
  const { clock, scheduler } = harness({ q: 1 }, { work: () => sleep(clock, 1_000) });
  const task = scheduler.add({ queue: "q", subject: "a.pem", payload: null });
  await clock.flush();
  assert.equal(scheduler.cancel(task), true);
  assert.equal(task.signal.aborted, true);
  assert.equal(scheduler.cancel(task), false);
  await clock.advance(1_000);
  assert.equal(task.state, "done");
});

Deno.test("adding a task for the same queue and subject replaces the pending one", async () => {
  const { clock, scheduler, runs } = harness();
  const start = clock.now();
  const first = scheduler.add({ queue: "q", subject: "a.pem", payload: 1, delay: 10_000 });
  const second = scheduler.add({ queue: "q", subject: "a.pem", payload: 2, delay: 20_000 });
  assert.equal(first.state, "cancelled");
  assert.equal((first.signal.reason as DOMException).message, "Task replaced by a newer one");
  assert.equal(scheduler.pendingTask("q", "a.pem"), second);
  assert.deepEqual(scheduler.stats("q"), { scheduled: 1, waiting: 0, running: 0 });
  await clock.advance(DAY);
  assert.deepEqual(runs.map((run) => [run.payload, run.at - start]), [[2, 20_000]]);
});

Deno.test("a new task replaces one already due and waiting for a slot", async () => {
  const { clock, scheduler, runs } = harness({ q: 1 }, { work: () => sleep(clock, 1_000) });
  scheduler.add({ queue: "q", subject: "busy", payload: null });
  const waiting = scheduler.add({ queue: "q", subject: "a.pem", payload: "old" });
  await clock.flush();
  assert.equal(waiting.state, "waiting");
  scheduler.add({ queue: "q", subject: "a.pem", payload: "new", delay: 5_000 });
  assert.equal(waiting.state, "cancelled");
  await clock.advance(10_000);
  assert.deepEqual(runs.map((run) => run.payload ?? run.subject), ["busy", "new"]);
});

Deno.test("the same subject in two queues is two tasks", async () => {
  const { clock, scheduler, runs } = harness({ parse: 1, renew: 1 });
  scheduler.add({ queue: "parse", subject: "a.pem", payload: null, delay: 1_000 });
  scheduler.add({ queue: "renew", subject: "a.pem", payload: null, delay: 1_000 });
  await clock.advance(1_000);
  assert.deepEqual(runs.map((run) => run.queue), ["parse", "renew"]);
});

Deno.test("a handler may reschedule its own subject without aborting itself", async () => {
  const clock = new FakeClock();
  const scheduler = new Scheduler({ clock });
  const seen: [number, boolean][] = [];
  scheduler.addQueue("renew", {
    handler: async (task: Task) => {
      const next = scheduler.add({
        queue: "renew",
        subject: task.subject,
        payload: null,
        delay: 3_600_000,
      });
      await sleep(clock, 10);
      seen.push([clock.now(), task.signal.aborted]);
      assert.equal(next.state, "scheduled");
    },
  });
  const start = clock.now();
  scheduler.add({ queue: "renew", subject: "a.pem", payload: null });
  await clock.advance(2.5 * 3_600_000);
  assert.deepEqual(seen, [
    [start + 10, false],
    [start + 3_600_010, false],
    [start + 7_200_010, false],
  ]);
  await scheduler.close();
});

Deno.test("100,000 tasks added and then cancelled leave nothing scheduled and no timer", async () => {
  const { clock, scheduler, runs } = harness({ parse: 1, renew: 2 });
  const rand = random(11);
  const tasks: Task[] = [];
  for (let i = 0; i < 100_000; i++) {
    const queue = i % 2 === 0 ? "parse" : "renew";
    tasks.push(
      scheduler.add({ queue, subject: `cert-${i}`, payload: null, delay: 1 + rand() * 60 * DAY }),
    );
  }
  assert.equal(scheduler.size, 100_000);
  assert.equal(clock.timerCount, 1);
  let cancelled = 0;
  for (const [i, task] of tasks.entries()) {
    cancelled += i % 3 === 0
      ? scheduler.cancelSubject(task.subject)
      : Number(scheduler.cancel(task));
  }
  assert.equal(cancelled, 100_000);
  assert.equal(scheduler.size, 0);
  assert.equal(scheduler.nextDueAt(), undefined);
  assert.equal(scheduler.timerArmed, false);
  assert.equal(clock.timerCount, 0);
  await clock.advance(61 * DAY);
  assert.deepEqual(runs, []);
});
