/**
 * A fake {@linkcode Clock} for tests: time stands still until the test moves
 * it with `advance()`, which fires the timers that fall due in time order and
 * lets async work settle between them, so days of schedule run in
 * milliseconds and deterministically.
 *
 * Like the real timers, it refuses delays over 2^31 - 1 ms (real ones would
 * fire at once), so code that forgets to chain long waits fails loudly.
 *
 * Settling uses one `setImmediate` round: it drains every promise chain
 * (microtasks) but does not wait for real I/O; a handler doing real I/O must
 * be awaited by other means.
 *
 * @example Running a timer set for tomorrow
 * ```ts
 * import { FakeClock } from "./fake_clock.ts";
 *
 * const clock = new FakeClock();
 * let fired = false;
 * clock.setTimeout(() => fired = true, 86_400_000);
 * await clock.advance(86_400_000); // fired === true, clock.timerCount === 0
 * ```
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { type Clock, MAX_TIMER_DELAY_MS } from "../../src/scheduler/clock.ts";

/** Where a new {@linkcode FakeClock} starts: 2025-01-01T00:00:00Z. */
export const FAKE_CLOCK_START: number = Date.UTC(2025, 0, 1);

/** Options of {@linkcode FakeClock}. */
export interface FakeClockOptions {
  /**
   * The initial time, in ms since the epoch.
   *
   * @default {FAKE_CLOCK_START}
   */
  start?: number;
}

interface FakeTimer {
  at: number;
  id: number;
  cb: () => void;
}

/** A clock whose time only moves when the test says so. */
export class FakeClock implements Clock {
  #now: number;
  #timers = new Map<number, FakeTimer>();
  #nextId = 1;

  /**
   * Creates a clock standing at `options.start`, with no timers.
   *
   * @param options See {@linkcode FakeClockOptions}.
   */
  constructor(options: FakeClockOptions = {}) {
    const { start = FAKE_CLOCK_START } = options;
    this.#now = start;
  }

  /**
   * Reads the fake time.
   *
   * @returns The fake time, in ms since the epoch.
   */
  now(): number {
    return this.#now;
  }

  /**
   * Arms a timer firing at `now() + ms` (a negative or NaN delay means 0).
   *
   * @param cb What to call.
   * @param ms The delay in milliseconds.
   * @returns The timer's id.
   * @throws {RangeError} If `ms` exceeds 2^31 - 1, which real timers cannot do.
   */
  setTimeout(cb: () => void, ms: number): number {
    if (ms > MAX_TIMER_DELAY_MS) {
      throw new RangeError(
        `Cannot set timeout: ${ms} ms exceeds the ${MAX_TIMER_DELAY_MS} ms limit of real timers`,
      );
    }
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + (ms > 0 ? ms : 0), id, cb });
    return id;
  }

  /**
   * Disarms a timer; unknown or fired handles are ignored.
   *
   * @param handle An id from {@linkcode FakeClock.setTimeout}.
   */
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** The number of armed timers. */
  get timerCount(): number {
    return this.#timers.size;
  }

  /**
   * Says when the next armed timer fires.
   *
   * @returns Its time in ms since the epoch, or `undefined` with none armed.
   */
  nextTimerAt(): number | undefined {
    return this.#next()?.at;
  }

  /**
   * Moves time forward by `ms`, firing each timer due by then in order of its
   * time (then of arming), with the clock set to that timer's time and async
   * work settled before the next one. Timers armed meanwhile fire too if due
   * by the end. If a callback throws, the returned promise rejects with the
   * clock at that timer's time.
   *
   * @param ms How far, in milliseconds.
   * @returns A promise settling once time is `now() + ms` and work has settled.
   * @throws {RangeError} If `ms` is negative or not finite.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`Cannot advance clock: ${ms} is not a finite, non-negative delay`);
    }
    const end = this.#now + ms;
    await settle();
    for (let timer = this.#next(); timer !== undefined && timer.at <= end; timer = this.#next()) {
      this.#timers.delete(timer.id);
      this.#now = timer.at;
      timer.cb();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  /**
   * Moves time forward to `time`, as {@linkcode FakeClock.advance} does.
   *
   * @param time The target time, in ms since the epoch.
   * @returns A promise settling once time is `time` and work has settled.
   * @throws {RangeError} If `time` is earlier than `now()`.
   */
  advanceTo(time: number): Promise<void> {
    return this.advance(time - this.#now);
  }

  /**
   * Lets pending promise chains run without moving time.
   *
   * @returns A promise settling once they have.
   */
  flush(): Promise<void> {
    return settle();
  }

  #next(): FakeTimer | undefined {
    let next: FakeTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (next === undefined || timer.at < next.at) next = timer;
    }
    return next;
  }
}

/** One macrotask round: every queued microtask, however chained, runs first. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
