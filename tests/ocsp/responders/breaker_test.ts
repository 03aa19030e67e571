import assert from "node:assert/strict";
import { FakeClock } from "../../_helpers/fake_clock.ts";
import {
  CircuitBreaker,
  ResponderDownError,
  type ResponderEvent,
  ResponderFetchError,
  ResponderPool,
} from "../../../src/ocsp/responders/mod.ts";
import { OcspFetchError } from "../../../src/errors/mod.ts";
import { BODY } from "./_servers.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const REQUEST = new Uint8Array(16).fill(1);

Deno.test("CircuitBreaker is down after 3 consecutive failures, and a success in between resets the count", () => {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ clock, random: () => 0.5 });
  breaker.failure();
  breaker.failure();
  breaker.success();
  breaker.failure();
  breaker.failure();
  assert.equal(breaker.state, "up");
  assert.equal(breaker.admit(), "send");
  breaker.failure();
  assert.equal(breaker.state, "down");
  assert.equal(breaker.admit(), "down");
  assert.equal(breaker.retryAt, clock.now() + MINUTE);
});

Deno.test("CircuitBreaker probes after 1, 2, 3 minutes, then hourly, each once, until a probe succeeds", async () => {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ clock, random: () => 0.5 });
  for (let i = 0; i < 3; i++) breaker.failure();
  const start = clock.now();
  const probes: number[] = [];
  for (const wait of [MINUTE, 2 * MINUTE, 3 * MINUTE, HOUR, HOUR, HOUR]) {
    await clock.advance(wait - 1);
    assert.equal(breaker.admit(), "down", "not a millisecond early");
    await clock.advance(1);
    assert.equal(breaker.admit(), "probe");
    assert.equal(breaker.state, "probing");
    assert.equal(breaker.admit(), "down", "one probe at a time");
    probes.push(clock.now() - start);
    breaker.failure();
  }
  assert.deepEqual(probes.map((ms) => ms / MINUTE), [1, 3, 6, 66, 126, 186]);
  await clock.advance(HOUR);
  assert.equal(breaker.admit(), "probe");
  breaker.success();
  assert.equal(breaker.state, "up");
  assert.equal(breaker.failures, 0);
  for (let i = 0; i < 3; i++) breaker.failure();
  assert.equal(breaker.retryAt, clock.now() + MINUTE, "the schedule starts over");
});

Deno.test("CircuitBreaker jitters each probe by ±10 % and waits at least a Retry-After, at most 12 h", () => {
  const clock = new FakeClock();
  const early = new CircuitBreaker({ clock, random: () => 0 });
  for (let i = 0; i < 3; i++) early.failure();
  assert.equal(early.retryAt! - clock.now(), 54_000);
  const late = new CircuitBreaker({ clock, random: () => 0.999999 });
  for (let i = 0; i < 3; i++) late.failure();
  assert.equal(late.retryAt! - clock.now(), 66_000);
  const polite = new CircuitBreaker({ clock, random: () => 0.5 });
  for (let i = 0; i < 3; i++) polite.failure(i === 2 ? 30 * MINUTE : undefined);
  assert.equal(polite.retryAt! - clock.now(), 30 * MINUTE);
  const capped = new CircuitBreaker({ clock, random: () => 0.5 });
  for (let i = 0; i < 3; i++) capped.failure(7 * 24 * HOUR);
  assert.equal(capped.retryAt! - clock.now(), 12 * HOUR);
});

Deno.test("CircuitBreaker lets the next request probe at once after a probe without a verdict", () => {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ clock, random: () => 0.5, probeDelaysMs: [0] });
  for (let i = 0; i < 3; i++) breaker.failure();
  assert.equal(breaker.admit(), "probe");
  breaker.neutral();
  assert.equal(breaker.admit(), "probe");
});

/** A fetch that fails like a refused connection, or answers once `up` is set. */
interface Switchable {
  fetch: typeof fetch;
  calls: number;
  up: boolean;
}

function switchable(): Switchable {
  const state: Switchable = {
    calls: 0,
    up: false,
    fetch: ((_input: RequestInfo | URL, _init?: RequestInit) => {
      state.calls++;
      if (!state.up) return Promise.reject(new TypeError("Connection refused (os error 111)"));
      return Promise.resolve(
        new Response(BODY, { headers: { "content-type": "application/ocsp-response" } }),
      );
    }) as typeof fetch,
  };
  return state;
}

Deno.test("ResponderPool fails fast once a responder is down and probes it on the breaker's schedule (fake clock)", async () => {
  const clock = new FakeClock();
  const responder = switchable();
  const events: ResponderEvent[] = [];
  using pool = new ResponderPool({
    clock,
    fetch: responder.fetch,
    random: () => 0.5,
    proxySettings: {},
    onEvent: (e) => events.push(e),
  });
  const url = "http://ocsp.dead.test/";
  const attempt = () =>
    pool.fetchOcspResponse(url, REQUEST, { file: "site.pem" }).then(
      () => "ok",
      (e: unknown) => e,
    );
  for (let i = 0; i < 3; i++) {
    const err = await attempt();
    assert.ok(err instanceof ResponderFetchError && !err.down, String(err));
    assert.equal(err.failure, "unreachable");
  }
  assert.equal(responder.calls, 3);
  assert.deepEqual(events.map((e) => e.type), ["down"]);
  assert.equal(pool.isDown(url), true);
  assert.equal(pool.isDown("http://ocsp.dead.test:80/other"), true, "same responder, other path");
  assert.equal(pool.isDown("http://ocsp.alive.test/"), false);

  // 100 more certificates: not one request goes out, each fails at once.
  const errors = await Promise.all(Array.from({ length: 100 }, attempt));
  assert.equal(responder.calls, 3);
  for (const err of errors) {
    assert.ok(err instanceof ResponderDownError, String(err));
    assert.ok(err instanceof OcspFetchError);
    assert.equal(err.kind, "OcspFetchError");
    assert.equal(err.down, true);
    assert.equal(err.responder, "http://ocsp.dead.test:80");
    assert.equal(err.retryAt, clock.now() + MINUTE);
    assert.match(
      err.message,
      /^site\.pem: http:\/\/ocsp\.dead\.test\/: responder down \(http:\/\/ocsp\.dead\.test:80 failed repeatedly\); not asked until a probe at 2025-01-01T00:01:00\.000Z succeeds$/,
    );
  }

  // Probes at +1 min, +2 min later, +3 min later, then hourly: one request each.
  const probeTimes: number[] = [];
  const start = clock.now();
  for (const wait of [MINUTE, 2 * MINUTE, 3 * MINUTE, HOUR]) {
    await clock.advance(wait - 1);
    assert.ok((await attempt()) instanceof ResponderDownError);
    await clock.advance(1);
    const before: number = responder.calls;
    const [probe, ...others] = await Promise.all([attempt(), attempt(), attempt()]);
    assert.equal(responder.calls, before + 1, "one probe request");
    assert.ok(probe instanceof ResponderFetchError && probe.failure === "unreachable");
    for (const other of others) {
      assert.ok(other instanceof ResponderDownError, "waited for the probe");
    }
    probeTimes.push(clock.now() - start);
  }
  assert.deepEqual(probeTimes.map((ms) => ms / MINUTE), [1, 3, 6, 66]);
  assert.deepEqual(events.map((e) => e.type), [
    "down",
    "probe-failed",
    "probe-failed",
    "probe-failed",
    "probe-failed",
  ]);

  // It is back: the next probe succeeds, and the requests waiting on it go out too.
  responder.up = true;
  await clock.advance(HOUR);
  const results = await Promise.all([attempt(), attempt(), attempt()]);
  assert.deepEqual(results, ["ok", "ok", "ok"]);
  assert.equal(pool.isDown(url), false);
  assert.deepEqual(events.at(-1), {
    type: "up",
    responder: "http://ocsp.dead.test:80",
    downForMs: 126 * MINUTE,
  });
  assert.equal(pool.statuses()[0].state, "up");
});

Deno.test("ResponderPool keeps one responder's breaker from touching another's", async () => {
  const clock = new FakeClock();
  const calls: string[] = [];
  using pool = new ResponderPool({
    clock,
    proxySettings: {},
    fetch: ((input: RequestInfo | URL) => {
      const url = String(input);
      calls.push(new URL(url).host);
      return url.startsWith("http://dead.test")
        ? Promise.reject(new TypeError("Connection reset by peer"))
        : Promise.resolve(
          new Response(BODY, { headers: { "content-type": "application/ocsp-response" } }),
        );
    }) as typeof fetch,
  });
  for (let i = 0; i < 5; i++) {
    await pool.fetchOcspResponse("http://dead.test/", REQUEST).catch(() => {});
    assert.deepEqual(await pool.fetchOcspResponse("http://live.test/", REQUEST), BODY);
  }
  assert.deepEqual(
    pool.statuses().map((s) => [s.responder, s.state]),
    [["http://dead.test:80", "down"], ["http://live.test:80", "up"]],
  );
  assert.equal(calls.filter((h) => h === "dead.test").length, 3);
});

Deno.test("ResponderPool counts only connection failures, timeouts and 5xx toward down", async () => {
  const clock = new FakeClock();
  let status = 404;
  using pool = new ResponderPool({
    clock,
    proxySettings: {},
    fetch: (() => Promise.resolve(new Response("no", { status }))) as typeof fetch,
  });
  for (let i = 0; i < 5; i++) {
    await pool.fetchOcspResponse("http://a.test/", REQUEST).catch(() => {});
  }
  assert.equal(pool.statuses()[0].state, "up", "a 404 is an answer: the responder is up");
  status = 500;
  for (let i = 0; i < 3; i++) {
    await pool.fetchOcspResponse("http://a.test/", REQUEST).catch(() => {});
  }
  assert.equal(pool.statuses()[0].state, "down");
});
