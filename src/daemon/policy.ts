/**
 * When to renew and when to retry, as pure functions of the response, the
 * failure count and the time, so the schedule can be unit-tested.
 *
 * - Next renewal: the earlier of the effective expiry (min(nextUpdate,
 *   thisUpdate + 10 days)) minus the minimum validity and the midpoint of
 *   thisUpdate..expiry (and of the delegated responder
 *   certificate's end minus the minimum validity), pulled earlier by a random
 *   jitter of up to 5 % of the wait, so 10,000 certificates of one CA don't
 *   hit its responder in the same second; never sooner than 5 minutes after
 *   the last successful fetch (a CA handing out short-lived responses must
 *   not make us refetch in a loop).
 * - Retries after a failed renewal (bad or unknown response, HTTP or network
 *   error, tryLater, unauthorized): n x 60 s for the first 3 tries, then
 *   hourly for 3, then every 12 hours for ever; but while the staple on disk
 *   is still valid, never more than half of its remaining validity (at least
 *   an hour), so a short outage near its end gets several more tries before
 *   it expires.
 * - Retries after an unreadable certificate file: the same for 6 tries, then
 *   none (wait until the file changes).
 * - {@linkcode renewalRetry}: the table's delay with a responder's
 *   `Retry-After` honoured within the table's bounds, then spread up to 10 %
 *   later at random (never sooner than the table), so 10,000 certificates of
 *   a CA that was down do not retry in lockstep.
 * - {@linkcode downRetryAt}: a certificate whose every responder is down
 *   (circuit breaker) waits until the breaker's next probe, spread the same
 *   way; that wait is not its own failure.
 *
 * @module
 */
import { honourRetryAfter, jitter, MAX_RETRY_AFTER_MS } from "../ocsp/responders/mod.ts";

/** Never refetch sooner than this after a successful fetch. */
export const MIN_REFETCH_MS = 5 * 60_000;

/** Jitter: the wait is shortened by up to this fraction. */
export const JITTER_FRACTION = 0.05;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What the renewal time depends on. */
export interface RenewalInput {
  /** Now, ms since the epoch. */
  now: number;
  /** The staple's thisUpdate. */
  thisUpdate: Date;
  /** The staple's effective expiry, min(nextUpdate, thisUpdate + 10 days). */
  expiresAt: Date;
  /** The signer certificate's notAfter (delegated responders expire). */
  signerNotAfter?: Date;
  /** The minimum validity, seconds. */
  minimumValidity: number;
  /** When the staple was last fetched successfully (undefined when recycled). */
  lastFetchAt?: number;
  /** A random number in [0, 1). @default Math.random() */
  random?: number;
}

/**
 * The time of the next renewal, ms since the epoch.
 *
 * @param input The staple's times, the policy, now and a random number.
 * @returns When to renew.
 *
 * @example A 4-day response is renewed after about 2 days
 * ```ts
 * import { nextRenewalAt } from "./policy.ts";
 * const now = Date.UTC(2025, 0, 1);
 * const at = nextRenewalAt({
 *   now,
 *   thisUpdate: new Date(now),
 *   expiresAt: new Date(now + 4 * 86_400_000),
 *   minimumValidity: 7200,
 *   random: 0,
 * });
 * console.assert(at === now + 2 * 86_400_000);
 * ```
 */
export function nextRenewalAt(input: RenewalInput): number {
  const { now, minimumValidity, lastFetchAt } = input;
  const thisUpdate = input.thisUpdate.getTime();
  const expiresAt = input.expiresAt.getTime();
  let due = Math.min(
    expiresAt - minimumValidity * 1000,
    thisUpdate + (expiresAt - thisUpdate) / 2,
  );
  if (input.signerNotAfter) {
    due = Math.min(due, input.signerNotAfter.getTime() - minimumValidity * 1000);
  }
  const wait = Math.max(0, due - now);
  due = now + wait - wait * JITTER_FRACTION * (input.random ?? Math.random());
  const floor = lastFetchAt === undefined ? now : lastFetchAt + MIN_REFETCH_MS;
  return Math.round(Math.max(due, floor));
}

/**
 * The delay before retry number `failures` (1 for the first retry) of a
 * failed renewal: 60, 120, 180 s, then 1 h three times, then 12 h, but at
 * most half the time the current staple has left (and at least 1 h).
 *
 * @param failures Consecutive failures so far (at least 1).
 * @param now Now, ms since the epoch.
 * @param validUntil The effective expiry of the staple on disk, if there is one.
 * @returns Milliseconds to wait.
 *
 * @example
 * ```ts
 * import { renewalRetryDelay } from "./policy.ts";
 * console.assert(renewalRetryDelay(2) === 120_000);
 * console.assert(renewalRetryDelay(7) === 12 * 3_600_000);
 * ```
 */
export function renewalRetryDelay(failures: number, now = 0, validUntil?: number): number {
  if (failures <= 3) return Math.max(1, failures) * MINUTE;
  if (failures <= 6) return HOUR;
  if (validUntil !== undefined && validUntil > now) {
    return Math.min(12 * HOUR, Math.max(HOUR, (validUntil - now) / 2));
  }
  return 12 * HOUR;
}

/**
 * The delay before retrying to read a certificate file that could not be
 * read, or undefined when stapled should wait until the file changes.
 *
 * @param failures Consecutive failures so far (at least 1).
 * @returns Milliseconds to wait, or undefined.
 *
 * @example
 * ```ts
 * import { fileRetryDelay } from "./policy.ts";
 * console.assert(fileRetryDelay(1) === 60_000 && fileRetryDelay(7) === undefined);
 * ```
 */
export function fileRetryDelay(failures: number): number | undefined {
  if (failures <= 3) return Math.max(1, failures) * MINUTE;
  if (failures <= 6) return HOUR;
  return undefined;
}

/** Retries are spread up to this fraction later than the table says. */
export const RETRY_SPREAD_FRACTION = 0.1;

/**
 * `delayMs` spread uniformly over [delayMs, delayMs x (1 + fraction)], with
 * {@linkcode jitter}: never sooner than asked, so the table's steps are
 * lower bounds.
 */
function later(delayMs: number, random: () => number, fraction = RETRY_SPREAD_FRACTION): number {
  const centre = delayMs * (1 + fraction / 2);
  return jitter(centre, { fraction: fraction / 2 / (1 + fraction / 2), random });
}

/** What the delay of a renewal retry depends on. */
export interface RenewalRetryInput {
  /** Consecutive failures so far (at least 1). */
  failures: number;
  /** Now, ms since the epoch. */
  now: number;
  /** The effective expiry of the staple on disk, if there is one. */
  validUntil?: number;
  /** The last answer's `Retry-After`, ms (503 or 429). */
  retryAfterMs?: number;
  /** A random number in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * The delay before a renewal retry: {@linkcode renewalRetryDelay}, a
 * `Retry-After` honoured (never sooner than the table, never later than
 * 12 h nor, while the staple on disk is valid, than half its remaining
 * validity unless the table says so), then spread up to 10 % later.
 *
 * @param input Failures, now, the staple's expiry, the Retry-After, a random source.
 * @returns Milliseconds to wait.
 *
 * @example The first retry of a 503 that asked for 10 minutes
 * ```ts
 * import { renewalRetry } from "./policy.ts";
 * console.assert(renewalRetry({ failures: 1, now: 0, random: () => 0 }) === 60_000);
 * console.assert(renewalRetry({ failures: 1, now: 0, random: () => 0.999 }) <= 66_000);
 * console.assert(renewalRetry({ failures: 1, now: 0, retryAfterMs: 600_000, random: () => 0 }) === 600_000);
 * ```
 */
export function renewalRetry(input: RenewalRetryInput): number {
  const { failures, now, validUntil, retryAfterMs, random = Math.random } = input;
  const table = renewalRetryDelay(failures, now, validUntil);
  const maxMs = validUntil !== undefined && validUntil > now
    ? Math.min(MAX_RETRY_AFTER_MS, Math.max(table, (validUntil - now) / 2))
    : MAX_RETRY_AFTER_MS;
  return later(honourRetryAfter(table, retryAfterMs, { maxMs }), random);
}

/**
 * When a certificate whose every responder is down runs again: at the
 * breaker's next probe, spread up to 10 % of the wait later (at least a
 * second's spread), so the certificates waiting for one responder do not all
 * come back in the same tick.
 *
 * @param retryAt When the breaker lets the next probe out, ms since the epoch.
 * @param now Now, ms since the epoch.
 * @param random A random number in [0, 1). @default Math.random
 * @returns When to run it, ms since the epoch (never before `retryAt`).
 *
 * @example
 * ```ts
 * import { downRetryAt } from "./policy.ts";
 * console.assert(downRetryAt(60_000, 0, () => 0) === 60_000);
 * console.assert(downRetryAt(60_000, 0, () => 0.999) <= 66_000);
 * ```
 */
export function downRetryAt(
  retryAt: number,
  now: number,
  random: () => number = Math.random,
): number {
  const wait = Math.max(0, retryAt - now);
  const spread = Math.max(1000, wait * RETRY_SPREAD_FRACTION);
  return Math.round(retryAt + spread * Math.min(Math.max(random(), 0), 1));
}
