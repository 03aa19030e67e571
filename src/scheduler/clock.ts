/**
 * The clock the scheduler reads time from and arms its timer on, so tests can
 * swap in a fake one and run days of schedule in milliseconds.
 *
 * @module
 */

/**
 * The longest delay `setTimeout` accepts (2^31 - 1 ms, about 24.8 days). A
 * longer delay overflows and fires at once, so callers must chain waits.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Where time comes from and how to be woken up later. `now()` is in
 * milliseconds since the epoch, like `Date.now()`.
 *
 * @example Using a clock
 * ```ts
 * import { systemClock } from "./clock.ts";
 *
 * const handle = systemClock.setTimeout(() => console.log("later"), 1000);
 * systemClock.clearTimeout(handle);
 * ```
 */
export interface Clock {
  /**
   * The current time.
   *
   * @returns Milliseconds since the epoch.
   */
  now(): number;
  /**
   * Calls `cb` once after `ms` milliseconds. Callers never pass more than
   * {@linkcode MAX_TIMER_DELAY_MS}.
   *
   * @param cb What to call.
   * @param ms The delay in milliseconds.
   * @returns A handle for {@linkcode Clock.clearTimeout}.
   */
  setTimeout(cb: () => void, ms: number): unknown;
  /**
   * Cancels a timer; does nothing if it already fired or was cleared.
   *
   * @param handle What `setTimeout` returned.
   */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `Date.now()` and the runtime's timers. Its timers are not
 * unref'd, so an armed timer keeps the process alive.
 *
 * @example Reading the time
 * ```ts
 * import { systemClock } from "./clock.ts";
 *
 * console.log(new Date(systemClock.now()).toISOString());
 * ```
 */
export const systemClock: Clock = {
  now(): number {
    return Date.now();
  },
  setTimeout(cb: () => void, ms: number): unknown {
    return setTimeout(cb, ms);
  },
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as number);
  },
};
