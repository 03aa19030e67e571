/**
 * `Retry-After` (RFC 9110 §10.2.3) on a 503 or 429: delta-seconds or an
 * HTTP-date, honoured within the bounds of the retry table: never sooner
 * than the table's own delay, never later than its longest step.
 *
 * @module
 */

/** The longest wait a `Retry-After` can impose: the retry table's longest step, 12 h. */
export const MAX_RETRY_AFTER_MS = 12 * 3_600_000;

const DELTA_SECONDS_REGEXP = /^\d+$/;
const HTTP_DATE_REGEXP = /^[A-Za-z]{3,9},? /;

/**
 * The wait a `Retry-After` header asks for.
 *
 * @param value The header's value (null when absent).
 * @param now When the answer arrived, ms since the epoch.
 * @returns Milliseconds to wait (0 for a date in the past), or undefined when absent or unparsable.
 *
 * @example Both forms
 * ```ts
 * import { parseRetryAfter } from "./retry_after.ts";
 *
 * const now = Date.UTC(2025, 0, 1);
 * console.assert(parseRetryAfter("120", now) === 120_000);
 * console.assert(parseRetryAfter("Wed, 01 Jan 2025 00:05:00 GMT", now) === 300_000);
 * console.assert(parseRetryAfter("soon", now) === undefined);
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (DELTA_SECONDS_REGEXP.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : MAX_RETRY_AFTER_MS;
  }
  if (!HTTP_DATE_REGEXP.test(text)) return undefined;
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - now);
}

/** Options of {@linkcode honourRetryAfter}. */
export interface HonourRetryAfterOptions {
  /** The longest wait. @default MAX_RETRY_AFTER_MS */
  maxMs?: number;
}

/**
 * The retry delay once a `Retry-After` is taken into account: the later of
 * the table's delay and the responder's wish, but no later than `maxMs` (the
 * caller may pass a shorter bound, e.g. half the staple's remaining validity).
 *
 * @param tableDelayMs The retry table's delay for this failure.
 * @param retryAfterMs What the responder asked for (undefined: nothing).
 * @param options The upper bound.
 * @returns Milliseconds to wait.
 *
 * @example Within the table's bounds
 * ```ts
 * import { honourRetryAfter } from "./retry_after.ts";
 *
 * console.assert(honourRetryAfter(60_000, undefined) === 60_000);
 * console.assert(honourRetryAfter(60_000, 5_000) === 60_000); // never sooner than the table
 * console.assert(honourRetryAfter(60_000, 600_000) === 600_000);
 * console.assert(honourRetryAfter(60_000, 86_400_000) === 12 * 3_600_000);
 * ```
 */
export function honourRetryAfter(
  tableDelayMs: number,
  retryAfterMs: number | undefined,
  options: HonourRetryAfterOptions = {},
): number {
  const { maxMs = MAX_RETRY_AFTER_MS } = options;
  if (retryAfterMs === undefined) return tableDelayMs;
  return Math.max(tableDelayMs, Math.min(retryAfterMs, Math.max(maxMs, tableDelayMs)));
}
