import assert from "node:assert/strict";
import {
  fileRetryDelay,
  JITTER_FRACTION,
  MIN_REFETCH_MS,
  nextRenewalAt,
  renewalRetryDelay,
} from "../../src/daemon/mod.ts";

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 27, 12);

Deno.test("nextRenewalAt() renews at the midpoint of a long response", () => {
  const at = nextRenewalAt({
    now: T0,
    thisUpdate: new Date(T0),
    expiresAt: new Date(T0 + 96 * H),
    minimumValidity: 7200,
    lastFetchAt: T0,
    random: 0,
  });
  assert.equal(at, T0 + 48 * H);
});

Deno.test("nextRenewalAt() renews minimum-validity before the expiry when that comes first", () => {
  const at = nextRenewalAt({
    now: T0,
    thisUpdate: new Date(T0),
    expiresAt: new Date(T0 + 3 * H),
    minimumValidity: 7200,
    lastFetchAt: T0,
    random: 0,
  });
  assert.equal(at, T0 + 1 * H);
});

Deno.test("nextRenewalAt() renews before a delegated responder certificate expires", () => {
  const at = nextRenewalAt({
    now: T0,
    thisUpdate: new Date(T0),
    expiresAt: new Date(T0 + 96 * H),
    signerNotAfter: new Date(T0 + 10 * H),
    minimumValidity: 7200,
    lastFetchAt: T0,
    random: 0,
  });
  assert.equal(at, T0 + 8 * H);
});

Deno.test("nextRenewalAt() jitters by at most 5 % of the wait, always earlier", () => {
  const input = {
    now: T0,
    thisUpdate: new Date(T0),
    expiresAt: new Date(T0 + 100 * H),
    minimumValidity: 0,
    lastFetchAt: T0,
  };
  const latest = nextRenewalAt({ ...input, random: 0 });
  const earliest = nextRenewalAt({ ...input, random: 0.999999 });
  assert.equal(latest, T0 + 50 * H);
  assert.ok(earliest < latest && earliest >= latest - 50 * H * JITTER_FRACTION);
  const spread = new Set(Array.from({ length: 1000 }, () => nextRenewalAt(input)));
  assert.ok(spread.size > 900, "random jitter spreads renewals");
});

Deno.test("nextRenewalAt() never refetches sooner than 5 minutes after the last fetch", () => {
  // A CA handing out responses valid for 10 minutes.
  const at = nextRenewalAt({
    now: T0,
    thisUpdate: new Date(T0),
    expiresAt: new Date(T0 + 600_000),
    minimumValidity: 7200,
    lastFetchAt: T0,
    random: 0,
  });
  assert.equal(at, T0 + MIN_REFETCH_MS);
});

Deno.test("nextRenewalAt() renews a recycled staple past its midpoint now", () => {
  const at = nextRenewalAt({
    now: T0,
    thisUpdate: new Date(T0 - 60 * H),
    expiresAt: new Date(T0 + 36 * H),
    minimumValidity: 7200,
    random: 0.5,
  });
  assert.equal(at, T0);
});

Deno.test("retries: n x 60 s three times, hourly three times, then every 12 h", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => renewalRetryDelay(n)),
    [60_000, 120_000, 180_000, H, H, H, 12 * H, 12 * H, 12 * H],
  );
});

Deno.test("retries come at least every half of the staple's remaining validity, at least an hour apart", () => {
  assert.equal(renewalRetryDelay(7, T0, T0 + 10 * H), 5 * H);
  assert.equal(renewalRetryDelay(8, T0, T0 + H), H);
  assert.equal(renewalRetryDelay(9, T0, T0 + 48 * H), 12 * H);
  assert.equal(renewalRetryDelay(9, T0, T0 - H), 12 * H);
});

Deno.test("an unreadable file is retried six times, then waits for a change", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(fileRetryDelay), [
    60_000,
    120_000,
    180_000,
    H,
    H,
    H,
    undefined,
  ]);
});
