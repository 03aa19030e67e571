/**
 * Retries are spread out and polite: renewalRetry() puts jitter on the
 * retry table (never sooner than the table) and honours a Retry-After
 * within the table's bounds; downRetryAt() spreads the certificates of a
 * down responder after its next probe.
 */
import assert from "node:assert/strict";
import { downRetryAt, renewalRetry, renewalRetryDelay } from "../../src/daemon/policy.ts";

const MIN = 60_000;
const H = 60 * MIN;

Deno.test("renewalRetry() spreads 10,000 first retries over 60-66 s instead of one instant", () => {
  const delays = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const d = renewalRetry({ failures: 1, now: 0, random: () => i / 10_000 });
    assert.ok(d >= MIN && d <= 1.1 * MIN, `${d}`);
    delays.add(d);
  }
  assert.ok(delays.size > 5000, `${delays.size} distinct delays`);
});

Deno.test("renewalRetry() is the table's delay with random 0, for every step", () => {
  for (const failures of [1, 2, 3, 4, 7, 20]) {
    assert.equal(
      renewalRetry({ failures, now: 0, random: () => 0 }),
      renewalRetryDelay(failures),
    );
  }
});

Deno.test("renewalRetry() honours a 503's Retry-After, never sooner than the table, at most 12 h", () => {
  const at = (retryAfterMs: number) =>
    renewalRetry({ failures: 1, now: 0, retryAfterMs, random: () => 0 });
  assert.equal(at(10_000), MIN, "a shorter Retry-After does not make it sooner");
  assert.equal(at(30 * MIN), 30 * MIN);
  assert.equal(at(48 * H), 12 * H);
});

Deno.test("renewalRetry() keeps a Retry-After within half the staple's remaining validity", () => {
  const now = 0;
  const validUntil = 4 * H;
  const d = renewalRetry({ failures: 1, now, validUntil, retryAfterMs: 10 * H, random: () => 0 });
  assert.equal(d, 2 * H);
});

Deno.test("downRetryAt() is never before the probe and spreads the waiting certificates", () => {
  const retryAt = 10 * MIN;
  assert.equal(downRetryAt(retryAt, 9 * MIN, () => 0), retryAt);
  const spread = new Set<number>();
  for (let i = 0; i < 100; i++) spread.add(downRetryAt(retryAt, 9 * MIN, () => i / 100));
  assert.ok([...spread].every((t) => t >= retryAt && t <= retryAt + 6_000));
  assert.ok(spread.size > 50);
});
