/**
 * ResponderPool against real sockets on 127.0.0.1: responders that never
 * answer, trickle, reset, answer 503 with Retry-After, are slow, or serve one
 * connection at a time; keep-alive measured by counting accepted connections.
 */
import assert from "node:assert/strict";
import {
  ResponderDownError,
  type ResponderEvent,
  ResponderFetchError,
  ResponderPool,
} from "../../../src/ocsp/responders/mod.ts";
import {
  answerOk,
  BODY,
  neverAnswer,
  type RawServer,
  slow,
  startRawServer,
  startResettingServer,
  trickle,
  unavailable,
} from "./_servers.ts";

const REQUEST = new Uint8Array(40).map((_, i) => i);

async function withServer(server: RawServer, fn: (server: RawServer) => Promise<void>) {
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

function outcome(promise: Promise<Uint8Array>): Promise<Uint8Array | ResponderFetchError> {
  return promise.catch((err: unknown) => {
    assert.ok(err instanceof ResponderFetchError, `Expected a ResponderFetchError, got ${err}`);
    return err;
  });
}

Deno.test("a responder that accepts and never answers times out, counts toward down, and then fails fast", async () => {
  await withServer(startRawServer(neverAnswer), async (server) => {
    const events: ResponderEvent[] = [];
    using pool = new ResponderPool({
      timeoutMs: 200,
      concurrency: 4,
      proxySettings: {},
      onEvent: (e) => events.push(e),
    });
    const started = performance.now();
    const results = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST, { file: `c${i}.pem` })),
      ),
    );
    const elapsed = performance.now() - started;
    const timeouts = results.filter((r) =>
      r instanceof ResponderFetchError && r.failure === "timeout"
    );
    const down = results.filter((r) => r instanceof ResponderDownError);
    // The 4 in flight time out; a slot freed before the third failure was
    // counted may send one more: at most threshold + bound - 1 requests.
    assert.ok(timeouts.length >= 4 && timeouts.length <= 6, `${timeouts.length} timeouts`);
    assert.equal(down.length, 50 - timeouts.length, "the rest are never sent");
    assert.match((timeouts[0] as ResponderFetchError).reason, /no complete answer within 0\.2 s$/);
    assert.equal(server.requests.length, timeouts.length);
    assert.ok(
      elapsed < 1500,
      `50 certificates took ${Math.round(elapsed)} ms: 1-2 timeouts, not 13`,
    );
    assert.deepEqual(events.map((e) => e.type), ["down"]);
  });
});

Deno.test("a responder that trickles one byte at a time is cut off by the total timeout", async () => {
  await withServer(startRawServer(trickle(50)), async (server) => {
    using pool = new ResponderPool({ timeoutMs: 300, proxySettings: {} });
    const started = performance.now();
    const err = await outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST));
    assert.ok(err instanceof ResponderFetchError && err.failure === "timeout", String(err));
    assert.ok(err.countsTowardDown);
    assert.ok(
      performance.now() - started < 1000,
      "bytes kept arriving; the timeout is total, not idle",
    );
  });
});

Deno.test("a responder that resets the connection is unreachable and counts toward down", async () => {
  await withServer(startResettingServer(), async (server) => {
    using pool = new ResponderPool({ timeoutMs: 1000, proxySettings: {} });
    for (let i = 0; i < 3; i++) {
      const err = await outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST));
      assert.ok(err instanceof ResponderFetchError && err.failure === "unreachable", String(err));
      assert.match(err.reason, /cannot reach the responder/);
    }
    assert.ok(
      (await outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST))) instanceof
        ResponderDownError,
    );
    assert.equal(server.connections, 3);
  });
});

Deno.test("a 503 with Retry-After is exposed on the error and holds the probe back that long", async () => {
  await withServer(startRawServer(unavailable("1800")), async (server) => {
    using pool = new ResponderPool({ timeoutMs: 1000, proxySettings: {}, random: () => 0.5 });
    const err = await outcome(
      pool.fetchOcspResponse(`${server.url}/`, REQUEST, { file: "site.pem" }),
    );
    assert.ok(err instanceof ResponderFetchError && !(err instanceof ResponderDownError));
    assert.equal(err.failure, "status");
    assert.equal(err.status, 503);
    assert.equal(err.retryAfterMs, 1_800_000);
    assert.equal(err.reason, `${server.url}/: HTTP 503 Service Unavailable (Retry-After 1800 s)`);
    await outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST));
    const before = Date.now();
    await outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST));
    const down = await outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST));
    assert.ok(down instanceof ResponderDownError);
    assert.ok(down.retryAt >= before + 1_800_000, "the probe waits for the Retry-After, not 1 min");
    assert.equal(server.requests.length, 3, "kept alive: 3 requests");
    assert.equal(server.connections, 1, "on one connection");
  });
});

Deno.test("a slow responder never has more requests in flight than the per-responder bound", async () => {
  let inFlight = 0;
  let most = 0;
  const handler = slow(30);
  await withServer(
    startRawServer(async (conn, req) => {
      most = Math.max(most, ++inFlight);
      try {
        return await handler(conn, req);
      } finally {
        inFlight--;
      }
    }),
    async (server) => {
      using pool = new ResponderPool({ concurrency: 3, proxySettings: {} });
      const results = await Promise.all(
        Array.from({ length: 30 }, () => pool.fetchOcspResponse(`${server.url}/`, REQUEST)),
      );
      for (const body of results) assert.deepEqual(body, BODY);
      assert.equal(most, 3);
      assert.ok(server.connections <= 3, `${server.connections} connections for 30 requests`);
    },
  );
});

Deno.test("a dead responder does not hold up another responder's requests", async () => {
  const dead = startRawServer(neverAnswer);
  const live = startRawServer(answerOk);
  try {
    using pool = new ResponderPool({ timeoutMs: 500, concurrency: 2, proxySettings: {} });
    const deadOnes = Array.from(
      { length: 40 },
      () => outcome(pool.fetchOcspResponse(`${dead.url}/`, REQUEST)),
    );
    const started = performance.now();
    const liveOnes = await Promise.all(
      Array.from({ length: 10 }, () => pool.fetchOcspResponse(`${live.url}/`, REQUEST)),
    );
    const liveMs = performance.now() - started;
    for (const body of liveOnes) assert.deepEqual(body, BODY);
    assert.ok(liveMs < 400, `the live responder's 10 took ${Math.round(liveMs)} ms`);
    const results = await Promise.all(deadOnes);
    const down = results.filter((r) => r instanceof ResponderDownError).length;
    assert.ok(down >= 36, `${down} of 40 failed fast: at most threshold + bound - 1 were sent`);
  } finally {
    await Promise.all([dead.close(), live.close()]);
  }
});

Deno.test("keep-alive: 1,000 requests to one responder use at most as many connections as the bound", async () => {
  await withServer(startRawServer(answerOk), async (server) => {
    using pool = new ResponderPool({ concurrency: 4, proxySettings: {} });
    const bodies = await Promise.all(
      Array.from({ length: 1000 }, () => pool.fetchOcspResponse(`${server.url}/`, REQUEST)),
    );
    assert.equal(bodies.length, 1000);
    assert.equal(server.requests.length, 1000);
    assert.ok(server.connections <= 4, `${server.connections} connections for 1,000 requests`);
    for (const req of server.requests.slice(0, 5)) {
      assert.equal(req.headers.get("connection"), undefined, "no Connection: close");
      assert.equal(req.headers.get("accept-encoding"), "identity");
    }
    console.log(`keep-alive: ${server.connections} connections for 1,000 requests`);
  });
});

Deno.test("without keep-alive each request has its own connection (the old behaviour)", async () => {
  await withServer(startRawServer(answerOk), async (server) => {
    using pool = new ResponderPool({ concurrency: 4, keepAlive: false, proxySettings: {} });
    await Promise.all(
      Array.from({ length: 200 }, () => pool.fetchOcspResponse(`${server.url}/`, REQUEST)),
    );
    assert.equal(server.connections, 200);
    assert.equal(server.requests[0].headers.get("connection"), "close");
  });
});

Deno.test("a responder serving one kept-alive connection at a time is detected: one request at a time, Connection: close", async () => {
  await withServer(startRawServer(answerOk, { serial: true }), async (server) => {
    const events: ResponderEvent[] = [];
    using pool = new ResponderPool({
      timeoutMs: 300,
      concurrency: 4,
      proxySettings: {},
      onEvent: (e) => events.push(e),
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST))),
    );
    for (const r of results) assert.ok(r instanceof Uint8Array, `every request answered: ${r}`);
    assert.deepEqual(events, [{ type: "serial", responder: `http://127.0.0.1:${server.port}` }]);
    const [status] = pool.statuses();
    assert.equal(status.serial, true);
    assert.equal(status.concurrency, 1);
    assert.equal(status.state, "up");
    assert.equal(server.requests.at(-1)!.headers.get("connection"), "close");
  });
});

Deno.test("an override sends the request elsewhere and names both URLs in errors; an empty one disables", async () => {
  await withServer(startRawServer(unavailable("5")), async (server) => {
    const { parseResponderOverride } = await import("../../../src/ocsp/responders/mod.ts");
    using pool = new ResponderPool({
      proxySettings: {},
      overrides: [
        parseResponderOverride(`ocsp.ca.test=${server.url}/mirror`),
        parseResponderOverride("ocsp.off.test="),
      ],
    });
    const err = await outcome(
      pool.fetchOcspResponse("http://ocsp.ca.test/r3", REQUEST, { file: "a.pem" }),
    );
    assert.ok(err instanceof ResponderFetchError);
    assert.equal(err.url, "http://ocsp.ca.test/r3");
    assert.match(
      err.message,
      /^a\.pem: http:\/\/ocsp\.ca\.test\/r3: HTTP 503 Service Unavailable \(Retry-After 5 s\) \(sent to http:\/\/127\.0\.0\.1:\d+\/mirror\/r3\)$/,
    );
    assert.ok(server.requests[0].line.startsWith("GET /mirror/r3/"), server.requests[0].line);
    const off = await outcome(pool.fetchOcspResponse("http://ocsp.off.test/", REQUEST));
    assert.ok(off instanceof ResponderFetchError && off.failure === "disabled");
    assert.equal(server.requests.length, 1);
  });
});

Deno.test("a request waiting for a slot is cancelled by its signal", async () => {
  await withServer(startRawServer(neverAnswer), async (server) => {
    using pool = new ResponderPool({ concurrency: 1, timeoutMs: 300, proxySettings: {} });
    const first = outcome(pool.fetchOcspResponse(`${server.url}/`, REQUEST));
    const controller = new AbortController();
    const second = outcome(
      pool.fetchOcspResponse(`${server.url}/`, REQUEST, { signal: controller.signal }),
    );
    controller.abort();
    const err = await second;
    assert.ok(err instanceof ResponderFetchError && err.failure === "cancelled", String(err));
    await first;
    assert.equal(server.requests.length, 1);
  });
});

Deno.test("the next request waiting for a responder is sent before the answer that freed its slot is returned", async () => {
  // As with Deno's fetch, a request goes on the wire once the event loop turns.
  const sent: number[] = [];
  let n = 0;
  const fetch: typeof globalThis.fetch = () => {
    const id = ++n;
    setTimeout(() => sent.push(id), 0);
    return Promise.resolve(
      new Response(BODY, { headers: { "content-type": "application/ocsp-response" } }),
    );
  };
  using pool = new ResponderPool({ concurrency: 1, proxySettings: {}, fetch });
  const url = "http://ocsp.example.test/";
  const seenByFirst: number[] = [];
  const first = pool.fetchOcspResponse(url, REQUEST).then(() => seenByFirst.push(...sent));
  const second = pool.fetchOcspResponse(url, REQUEST);
  await Promise.all([first, second]);
  // The caller of the first answer validates and writes it next (CPU on the
  // one JS thread): the second request must be on its way by then.
  assert.deepEqual(seenByFirst, [1, 2]);
});
