/**
 * Jitter for retry delays, so thousands of certificates of a CA that was
 * down do not come back in the same second.
 *
 * @module
 */

/** The default spread of {@linkcode jitter}: ±10 %. */
export const RETRY_JITTER_FRACTION = 0.1;

/** Options of {@linkcode jitter}. */
export interface JitterOptions {
  /** The spread, a fraction of the delay in [0, 1]. @default RETRY_JITTER_FRACTION */
  fraction?: number;
  /** A random number in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * `delayMs` spread uniformly over ±`fraction` of itself, rounded to whole ms.
 * A pure function of its arguments when `random` is given.
 *
 * @param delayMs The delay, ms (at least 0).
 * @param options The spread and the random source.
 * @returns A delay in [delayMs × (1 − fraction), delayMs × (1 + fraction)].
 * @throws {RangeError} If `delayMs` is negative or not finite, or `fraction` is outside [0, 1].
 *
 * @example One minute, ±10 %
 * ```ts
 * import { jitter } from "./jitter.ts";
 *
 * console.assert(jitter(60_000, { random: () => 0 }) === 54_000);
 * console.assert(jitter(60_000, { random: () => 0.5 }) === 60_000);
 * const any = jitter(60_000);
 * console.assert(any >= 54_000 && any <= 66_000);
 * ```
 */
export function jitter(delayMs: number, options: JitterOptions = {}): number {
  const { fraction = RETRY_JITTER_FRACTION, random = Math.random } = options;
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new RangeError(`Cannot jitter delay: ${delayMs} is not a finite, non-negative delay`);
  }
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`Cannot jitter delay: fraction ${fraction} is outside [0, 1]`);
  }
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(delayMs * (1 + fraction * (2 * r - 1)));
}
