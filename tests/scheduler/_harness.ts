/**
 * Shared set-up for the scheduler tests: a scheduler on a fake clock whose
 * handlers record every run.
 *
 * @module
 */
import { FakeClock } from "../_helpers/fake_clock.ts";
import { Scheduler, type SchedulerOptions, type Task } from "../../src/scheduler/mod.ts";

/** One handler call, as recorded. */
export interface Run {
  queue: string;
  subject: unknown;
  payload: unknown;
  dueAt: number;
  /** The fake time the handler was called at. */
  at: number;
}

/** A scheduler, its fake clock and the runs of its queues. */
export interface Harness {
  clock: FakeClock;
  scheduler: Scheduler;
  runs: Run[];
}

/**
 * Makes a scheduler on a fake clock with the named queues, whose handlers
 * record each run and then call `work` (default: nothing).
 *
 * @param queues Queue names and concurrency limits.
 * @param options Scheduler options (the clock is the harness's) and `work`.
 * @returns The harness.
 */
export function harness(
  queues: Record<string, number> = { q: 1 },
  options: Omit<SchedulerOptions, "clock"> & { work?: (task: Task) => Promise<void> } = {},
): Harness {
  const { work = () => Promise.resolve(), ...schedulerOptions } = options;
  const clock = new FakeClock();
  const scheduler = new Scheduler({ ...schedulerOptions, clock });
  const runs: Run[] = [];
  for (const [name, concurrency] of Object.entries(queues)) {
    scheduler.addQueue(name, {
      concurrency,
      handler: (task) => {
        const { queue, subject, payload, dueAt } = task;
        runs.push({ queue, subject, payload, dueAt, at: clock.now() });
        return work(task);
      },
    });
  }
  return { clock, scheduler, runs };
}

/**
 * Waits `ms` on a clock.
 *
 * @param clock The clock.
 * @param ms How long.
 * @returns A promise settling once the clock has moved that far.
 */
export function sleep(clock: FakeClock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Milliseconds in a day. */
export const DAY = 86_400_000;
