/**
 * The scheduler at the scale of a big installation: 100,000 renewal tasks
 * due between one hour and four days from now are added, replaced (what
 * every renewal does when it schedules the next one) and cancelled; the
 * heap each scheduled task takes is measured, and so is what is left once
 * they are all gone.
 *
 * @module
 */
import { Scheduler, type Task } from "../../src/scheduler/mod.ts";
import { heapAfterGc } from "./heap.ts";
import { atLeast, atMost, type Benchmark, type Row } from "./types.ts";

const HOUR_MS = 3_600_000;

/** The scheduler benchmark. */
export const schedulerBenchmark: Benchmark = {
  name: "scheduler",
  title: "adding, replacing and cancelling scheduled tasks; heap per task",
  async run(ctx) {
    const count = ctx.quick ? 10_000 : 100_000;
    const subjects = Array.from({ length: count }, (_, i) => `/etc/haproxy/certs/site-${i}.pem`);
    const delays = Array.from({ length: count }, () => HOUR_MS + Math.random() * 95 * HOUR_MS);
    const tasks: (Task<null> | null)[] = new Array(count).fill(null);
    const scheduler = new Scheduler<{ renew: null }>();
    scheduler.addQueue("renew", { handler: async () => {}, concurrency: 2 });
    const rate = (ms: number) => count / (ms / 1000);

    const before = await heapAfterGc();
    let started = performance.now();
    for (let i = 0; i < count; i++) {
      tasks[i] = scheduler.add({
        queue: "renew",
        subject: subjects[i],
        payload: null,
        delay: delays[i],
      });
    }
    const addMs = performance.now() - started;
    const held = await heapAfterGc();

    started = performance.now();
    for (let i = 0; i < count; i++) {
      tasks[i] = scheduler.add({
        queue: "renew",
        subject: subjects[i],
        payload: null,
        delay: delays[count - 1 - i],
      });
    }
    const replaceMs = performance.now() - started;

    started = performance.now();
    for (let i = 0; i < count; i++) scheduler.cancel(tasks[i]!);
    const cancelMs = performance.now() - started;
    if (scheduler.size !== 0 || scheduler.timerArmed) {
      throw new Error("Cannot finish the scheduler benchmark: tasks or a timer are left");
    }
    tasks.fill(null);
    const after = await heapAfterGc();
    await scheduler.close();
    const bench = "scheduler";
    const n = count.toLocaleString("en-US");
    return [
      {
        bench,
        metric: `${n} tasks added`,
        value: rate(addMs),
        unit: "/s",
        target: atLeast(100_000),
      },
      {
        bench,
        metric: `${n} tasks replaced (same subject, new time)`,
        value: rate(replaceMs),
        unit: "/s",
        target: atLeast(100_000),
      },
      {
        bench,
        metric: `${n} tasks cancelled`,
        value: rate(cancelMs),
        unit: "/s",
        target: atLeast(100_000),
      },
      {
        bench,
        metric: "heap per scheduled task",
        value: (held - before) / count,
        unit: "B",
        target: atMost(512),
      },
      {
        bench,
        metric: "heap left per task once all are cancelled",
        value: (after - before) / count,
        unit: "B",
        target: atMost(16),
      },
    ] satisfies Row[];
  },
};
