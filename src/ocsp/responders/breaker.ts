/**
 * A circuit breaker for one responder. After `threshold` consecutive
 * connection failures, timeouts or 5xx answers it is `down`: requests fail
 * fast. A probe is let through after about a minute, then after 2 and 3
 * minutes, then hourly (each ±10 %, and never sooner than a `Retry-After`
 * allowed, up to 12 h); one probe that gets an HTTP answer other than 5xx
 * closes it. While the probe is out the breaker is `probing`. Its state is a
 * few numbers; all time comes from the injected {@linkcode Clock}.
 *
 * @module
 */
import { type Clock, systemClock } from "../../scheduler/clock.ts";
import { jitter, RETRY_JITTER_FRACTION } from "./jitter.ts";
import { MAX_RETRY_AFTER_MS } from "./retry_after.ts";

const MINUTE = 60_000;

/** Consecutive failures that mark a responder down. */
export const DOWN_THRESHOLD = 3;

/**
 * The waits before each probe of a down responder (the retry table's
 * rhythm: 1, 2, 3 min, then hourly); the last repeats.
 */
export const PROBE_DELAYS_MS: readonly number[] = [MINUTE, 2 * MINUTE, 3 * MINUTE, 60 * MINUTE];

/** `up`: requests go out; `down`: they fail fast; `probing`: one probe is out. */
export type BreakerState = "up" | "down" | "probing";

/** Whether a request may go out: `send` (up), `probe` (the one probe), or `down`. */
export type Admission = "send" | "probe" | "down";

/** Options of {@linkcode CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** The clock. @default systemClock */
  clock?: Clock;
  /** Consecutive failures that mark it down. @default DOWN_THRESHOLD */
  threshold?: number;
  /** Waits before each probe; the last repeats. @default PROBE_DELAYS_MS */
  probeDelaysMs?: readonly number[];
  /** Jitter of the probe waits, a fraction. @default RETRY_JITTER_FRACTION */
  jitterFraction?: number;
  /** A random number in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * One responder's breaker.
 *
 * @example Three timeouts, then a probe a minute later
 * ```ts
 * import { CircuitBreaker } from "./breaker.ts";
 *
 * let now = 0;
 * const breaker = new CircuitBreaker({ clock: { now: () => now, setTimeout, clearTimeout }, random: () => 0.5 });
 * for (let i = 0; i < 3; i++) breaker.failure();
 * console.assert(breaker.state === "down" && breaker.admit() === "down");
 * now = breaker.retryAt!;
 * console.assert(breaker.admit() === "probe");
 * breaker.success();
 * console.assert(breaker.state === "up");
 * ```
 */
export class CircuitBreaker {
  #clock: Clock;
  #threshold: number;
  #delays: readonly number[];
  #fraction: number;
  #random: () => number;
  #state: BreakerState = "up";
  #failures = 0;
  #probes = 0;
  #retryAt: number | undefined;
  #downSince: number | undefined;

  /**
   * @param options Clock, threshold, probe delays, jitter.
   * @throws {RangeError} If `threshold` is not a positive integer or `probeDelaysMs` is empty.
   */
  constructor(options: CircuitBreakerOptions = {}) {
    const {
      clock = systemClock,
      threshold = DOWN_THRESHOLD,
      probeDelaysMs = PROBE_DELAYS_MS,
      jitterFraction = RETRY_JITTER_FRACTION,
      random = Math.random,
    } = options;
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new RangeError(
        `Cannot create breaker: threshold ${threshold} is not a positive integer`,
      );
    }
    if (probeDelaysMs.length === 0) {
      throw new RangeError("Cannot create breaker: no probe delays");
    }
    this.#clock = clock;
    this.#threshold = threshold;
    this.#delays = probeDelaysMs;
    this.#fraction = jitterFraction;
    this.#random = random;
  }

  /** The state. */
  get state(): BreakerState {
    return this.#state;
  }

  /** Consecutive failures counted. */
  get failures(): number {
    return this.#failures;
  }

  /** When down: when the next probe may go out, ms since the epoch. */
  get retryAt(): number | undefined {
    return this.#state === "up" ? undefined : this.#retryAt;
  }

  /** When down or probing: since when, ms since the epoch. */
  get downSince(): number | undefined {
    return this.#downSince;
  }

  /**
   * Asks to send a request. `probe` hands out the one probe and moves to
   * `probing`: its outcome must be reported with `success`, `failure` or
   * `neutral`.
   *
   * @returns `send`, `probe` or `down`.
   */
  admit(): Admission {
    if (this.#state === "up") return "send";
    if (this.#state === "probing") return "down";
    if (this.#clock.now() < (this.#retryAt ?? 0)) return "down";
    this.#state = "probing";
    return "probe";
  }

  /** The responder answered (anything but a 5xx): it is up. */
  success(): void {
    this.#state = "up";
    this.#failures = 0;
    this.#probes = 0;
    this.#retryAt = undefined;
    this.#downSince = undefined;
  }

  /**
   * A connection failure, timeout or 5xx. Counts toward down; a failed probe
   * schedules the next one.
   *
   * @param retryAfterMs The answer's `Retry-After`, if any: the next probe waits at least that long (at most 12 h).
   */
  failure(retryAfterMs?: number): void {
    this.#failures++;
    if (this.#state === "up" && this.#failures < this.#threshold) return;
    const now = this.#clock.now();
    if (this.#state === "up") {
      this.#downSince = now;
      this.#probes = 0;
    } else if (this.#state === "down") {
      return; // a request sent before it went down: the probe schedule stands
    }
    const base = this.#delays[Math.min(this.#probes, this.#delays.length - 1)];
    this.#probes++;
    let wait = jitter(base, { fraction: this.#fraction, random: this.#random });
    if (retryAfterMs !== undefined) {
      wait = Math.max(wait, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
    }
    this.#state = "down";
    this.#retryAt = now + wait;
  }

  /** The probe ended without a verdict (cancelled): the next request may probe at once. */
  neutral(): void {
    if (this.#state === "probing") this.#state = "down";
  }
}
