/**
 * The reconnection backoff of a runtime client: the first delay, doubled
 * after each failed or dropped connection up to a cap, and back to the first
 * delay only when a connection has proved healthy.
 *
 * @module
 */

/**
 * Exponential delays between reconnection attempts.
 *
 * @example Delays after three failures, then after a healthy connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { Backoff } from "./_backoff.ts";
 * const backoff = new Backoff(1000, 3000);
 * assert.ok([backoff.take(), backoff.take(), backoff.take()].join() === "1000,2000,3000");
 * backoff.reset();
 * assert.ok(backoff.take() === 1000);
 * ```
 */
export class Backoff {
  #first: number;
  #max: number;
  #next: number;

  /**
   * @param firstMs The first delay.
   * @param maxMs The longest delay.
   */
  constructor(firstMs: number, maxMs: number) {
    this.#first = firstMs;
    this.#max = maxMs;
    this.#next = firstMs;
  }

  /**
   * The delay to wait now; the one after it is twice as long (capped).
   *
   * @returns Milliseconds.
   */
  take(): number {
    const delay = this.#next;
    this.#next = Math.min(delay * 2, this.#max);
    return delay;
  }

  /** Starts again at the first delay (a connection answered). */
  reset(): void {
    this.#next = this.#first;
  }
}
