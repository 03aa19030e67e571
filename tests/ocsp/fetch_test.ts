import assert from "node:assert/strict";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import { OcspFetchError } from "../../src/errors/mod.ts";
import { ResponderFetchError } from "../../src/ocsp/responders/mod.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { decodeBase64 } from "../../src/certs/mod.ts";
import { fetchOcspResponse, MAX_GET_LENGTH, ocspGetUrl } from "../../src/ocsp/mod.ts";
import {
  HTTP_FAULTS,
  refusedUrl,
  serveDer,
  startSwitchableServer,
  type SwitchableServer,
} from "../_helpers/fixtures.ts";

/** A stand-in DER request: fetchOcspResponse does not parse it. */
const REQUEST = new Uint8Array(80).map((_, i) => (i * 37 + 11) & 0xff);
/** A stand-in DER response body. */
const BODY = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]);

async function withServer(fn: (server: SwitchableServer) => Promise<void>): Promise<void> {
  const server = startSwitchableServer();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function assertFetchError(
  promise: Promise<unknown>,
  url: string,
  reason: string,
): Promise<OcspFetchError> {
  const err = await promise.then(
    () => assert.fail("Expected an OcspFetchError"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OcspFetchError, `Expected an OcspFetchError, got ${err}`);
  assert.equal(err.kind, "OcspFetchError");
  assert.equal(err.url, url);
  assert.equal(err.file, "site.pem");
  assert.ok(err.reason.includes(reason), `"${err.reason}" does not contain "${reason}"`);
  return err;
}

/** A base URL whose GET form is exactly `length` bytes long. */
function baseUrlForGetLength(server: SwitchableServer, length: number): string {
  const short = `${server.url}/p`;
  const pad = length - ocspGetUrl(short, REQUEST).length;
  assert.ok(pad >= 0, "Cannot pad: the short GET URL is already too long");
  return `${server.url}/p${"x".repeat(pad)}`;
}

for (const fault of HTTP_FAULTS) {
  Deno.test(`fetchOcspResponse() fails with OcspFetchError on ${fault.name}`, async () => {
    await withServer(async (server) => {
      server.handler = fault.handler(server.gate);
      const url = `${server.url}/ocsp`;
      await assertFetchError(
        fetchOcspResponse(url, REQUEST, { file: "site.pem", timeoutMs: fault.timeoutMs ?? 5000 }),
        url,
        fault.reason,
      );
    });
  });
}

Deno.test("the oversized-body faults send a Content-Length, and the chunked one none", async () => {
  await withServer(async (server) => {
    const lengths: (string | null)[] = [];
    for (
      const name of [
        "a body over the cap with Content-Length",
        "a chunked body over the cap without Content-Length",
      ]
    ) {
      server.handler = HTTP_FAULTS.find((f) => f.name === name)!.handler(server.gate);
      const response = await fetch(`${server.url}/ocsp`);
      lengths.push(response.headers.get("content-length"));
      await response.body?.cancel();
    }
    assert.deepEqual(lengths, [String(65_536 + 1000), null]);
  });
});

Deno.test("fetchOcspResponse() fails after one redirect of a redirect loop", async () => {
  await withServer(async (server) => {
    server.handler = HTTP_FAULTS.find((f) => f.name === "a redirect loop")!.handler(server.gate);
    const url = `${server.url}/ocsp`;
    await assertFetchError(fetchOcspResponse(url, REQUEST, { file: "site.pem" }), url, "redirect");
    assert.equal(server.requests.length, 2, "the first request and one redirect, no more");
  });
});

Deno.test("fetchOcspResponse() fails with OcspFetchError when the connection is refused", async () => {
  const url = refusedUrl();
  await assertFetchError(
    fetchOcspResponse(url, REQUEST, { file: "site.pem", timeoutMs: 5000 }),
    url,
    "cannot reach the responder",
  );
});

Deno.test("fetchOcspResponse() reports a cap given in options", async () => {
  await withServer(async (server) => {
    server.handler = serveDer(new Uint8Array(2048));
    const url = `${server.url}/ocsp`;
    await assertFetchError(
      fetchOcspResponse(url, REQUEST, { file: "site.pem", maxBytes: 1024 }),
      url,
      "response body of 2048 bytes exceeds the 1024-byte cap",
    );
  });
});

Deno.test("fetchOcspResponse() accepts a body of exactly the cap", async () => {
  await withServer(async (server) => {
    const body = new Uint8Array(1024).fill(7);
    server.handler = serveDer(body);
    assert.deepEqual(
      await fetchOcspResponse(`${server.url}/ocsp`, REQUEST, { maxBytes: 1024 }),
      body,
    );
  });
});

Deno.test("fetchOcspResponse() accepts a content type with parameters", async () => {
  await withServer(async (server) => {
    server.handler = () =>
      new Response(BODY, { headers: { "content-type": "Application/OCSP-Response; charset=x" } });
    assert.deepEqual(await fetchOcspResponse(`${server.url}/ocsp`, REQUEST), BODY);
  });
});

Deno.test("fetchOcspResponse() uses GET with the base64 request in the path for a short URL", async () => {
  await withServer(async (server) => {
    server.handler = serveDer(BODY);
    const body = await fetchOcspResponse(`${server.url}/ocsp`, REQUEST);
    assert.deepEqual(body, BODY);
    assert.equal(server.requests.length, 1);
    const [seen] = server.requests;
    assert.equal(seen.method, "GET");
    assert.ok(seen.path.startsWith("/ocsp/"), seen.path);
    const encoded = seen.path.slice("/ocsp/".length);
    assert.deepEqual(decodeBase64(decodeURIComponent(encoded)), REQUEST);
  });
});

Deno.test("fetchOcspResponse() does not add a second slash after a URL ending in one", async () => {
  await withServer(async (server) => {
    server.handler = serveDer(BODY);
    await fetchOcspResponse(`${server.url}/ocsp/`, REQUEST);
    const [seen] = server.requests;
    assert.equal(seen.method, "GET");
    assert.ok(seen.path.startsWith("/ocsp/") && !seen.path.startsWith("/ocsp//"), seen.path);
  });
});

Deno.test("fetchOcspResponse() uses GET when the GET URL is exactly 255 bytes", async () => {
  await withServer(async (server) => {
    server.handler = serveDer(BODY);
    const url = baseUrlForGetLength(server, MAX_GET_LENGTH);
    assert.equal(ocspGetUrl(url, REQUEST).length, 255);
    await fetchOcspResponse(url, REQUEST);
    assert.equal(server.requests[0].method, "GET");
  });
});

Deno.test("fetchOcspResponse() POSTs application/ocsp-request when the GET URL would exceed 255 bytes", async () => {
  await withServer(async (server) => {
    server.handler = serveDer(BODY);
    const url = baseUrlForGetLength(server, MAX_GET_LENGTH + 1);
    const body = await fetchOcspResponse(url, REQUEST);
    assert.deepEqual(body, BODY);
    const [seen] = server.requests;
    assert.equal(seen.method, "POST");
    assert.equal(seen.path, new URL(url).pathname, "POST goes to the URL itself");
    assert.equal(seen.contentType, "application/ocsp-request");
    assert.deepEqual(seen.body, REQUEST);
  });
});

Deno.test("fetchOcspResponse() follows one redirect to a responder that answers", async () => {
  await withServer(async (server) => {
    server.handler = (_req, seen) =>
      seen.path.startsWith("/old/")
        ? new Response(null, {
          status: 301,
          headers: { location: `/new/${seen.path.slice("/old/".length)}` },
        })
        : new Response(BODY, { headers: { "content-type": "application/ocsp-response" } });
    const body = await fetchOcspResponse(`${server.url}/old`, REQUEST, { file: "site.pem" });
    assert.deepEqual(body, BODY);
    assert.equal(server.requests.length, 2);
    assert.ok(server.requests[1].path.startsWith("/new/"), server.requests[1].path);
  });
});

Deno.test({
  // The Location of a redirect names the redirected resource itself (RFC 9110
  // §15.4): for a GET it already holds the request, so it is requested as given.
  name: "fetchOcspResponse() requests a redirect's Location as given",
  fn: async () => {
    await withServer(async (server) => {
      server.handler = (_req, seen) =>
        seen.path.startsWith("/old/")
          ? new Response(null, {
            status: 302,
            headers: { location: `/new/${seen.path.slice("/old/".length)}` },
          })
          : new Response(BODY, { headers: { "content-type": "application/ocsp-response" } });
      await fetchOcspResponse(`${server.url}/old`, REQUEST);
      const encoded = server.requests[0].path.slice("/old/".length);
      assert.deepEqual(
        server.requests.map((r) => [r.method, r.path]),
        [["GET", `/old/${encoded}`], ["GET", `/new/${encoded}`]],
      );
    });
  },
});

Deno.test({
  // A 307 keeps the method and body (RFC 9110 §15.4.8).
  name: "fetchOcspResponse() POSTs the request again after a 307 to a POST",
  fn: async () => {
    await withServer(async (server) => {
      server.handler = (_req, seen) =>
        seen.path === "/new"
          ? new Response(BODY, { headers: { "content-type": "application/ocsp-response" } })
          : new Response(null, { status: 307, headers: { location: "/new" } });
      const url = baseUrlForGetLength(server, MAX_GET_LENGTH + 1);
      assert.deepEqual(await fetchOcspResponse(url, REQUEST), BODY);
      assert.deepEqual(server.requests.map((r) => [r.method, r.path]), [
        ["POST", new URL(url).pathname],
        ["POST", "/new"],
      ]);
      assert.deepEqual(server.requests[1].body, REQUEST);
    });
  },
});

Deno.test("fetchOcspResponse() fails on a redirect without a Location", async () => {
  await withServer(async (server) => {
    server.handler = () => new Response(null, { status: 302 });
    const url = `${server.url}/ocsp`;
    await assertFetchError(
      fetchOcspResponse(url, REQUEST, { file: "site.pem" }),
      url,
      "HTTP 302 redirect without a Location",
    );
  });
});

Deno.test("fetchOcspResponse() refuses a URL that is not http or https", async () => {
  await assertFetchError(
    fetchOcspResponse("ldap://127.0.0.1/ocsp", REQUEST, { file: "site.pem" }),
    "ldap://127.0.0.1/ocsp",
    "unsupported URL scheme ldap:",
  );
});

Deno.test("fetchOcspResponse() says cancelled when its signal aborts", async () => {
  await withServer(async (server) => {
    const received = Promise.withResolvers<void>();
    server.handler = async () => {
      received.resolve();
      await server.gate.opened;
      return new Response(BODY, { headers: { "content-type": "application/ocsp-response" } });
    };
    const controller = new AbortController();
    const url = `${server.url}/ocsp`;
    const pending = fetchOcspResponse(url, REQUEST, {
      file: "site.pem",
      signal: controller.signal,
    });
    await received.promise;
    controller.abort();
    await assertFetchError(pending, url, "cancelled");
  });
});

// ------------------------------------------------- compressed and lying bodies

/** What a raw responder got: the request head (request line and headers). */
interface RawServer {
  readonly url: string;
  readonly heads: string[];
  close(): Promise<void>;
}

/**
 * A responder on 127.0.0.1 that answers every request with exactly the bytes
 * `respond` writes (head and body), then closes the connection: it can send
 * what Deno.serve would correct (a Content-Length that is not the body's).
 */
function startRawServer(respond: (conn: Deno.Conn) => Promise<void>): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const conns = new Set<Promise<void>>();
  const serve = async (conn: Deno.Conn) => {
    try {
      let head = "";
      const buf = new Uint8Array(4096);
      while (!head.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) return;
        head += new TextDecoder().decode(buf.subarray(0, n));
      }
      heads.push(head.slice(0, head.indexOf("\r\n\r\n")));
      await respond(conn);
    } catch {
      // the client went away: fine for a hostile responder
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      const done = serve(conn);
      conns.add(done);
      done.then(() => conns.delete(done));
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    heads,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      await Promise.all(conns);
    },
  };
}

function head(lines: string[]): Uint8Array {
  return new TextEncoder().encode(`HTTP/1.1 200 OK\r\n${lines.join("\r\n")}\r\n\r\n`);
}

/** Zeros that inflate to `size` bytes, brotli-compressed (a few hundred bytes). */
function brotliBomb(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(
    brotliCompressSync(new Uint8Array(size), { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } }),
  );
}

/** Zeros that inflate to `size` bytes, gzip-compressed (about size / 1000). */
function gzipBomb(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(gzipSync(new Uint8Array(size), { level: 9 }));
}

/** 32 MiB once inflated: 512 times the cap, while the wire size is within it. */
const INFLATED = 32 * 1024 * 1024;

Deno.test("fetchOcspResponse() asks for identity and refuses a brotli bomb without inflating it", async () => {
  const bomb = brotliBomb(INFLATED);
  assert.ok(bomb.length < 65_536, `the bomb is ${bomb.length} bytes on the wire`);
  const accepted: (string | null)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    accepted.push(req.headers.get("accept-encoding"));
    return new Response(bomb, {
      headers: { "content-type": "application/ocsp-response", "content-encoding": "br" },
    });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/ocsp`;
    await assertFetchError(
      fetchOcspResponse(url, REQUEST, { file: "site.pem" }),
      url,
      'response has Content-Encoding "br"; stapled asks for identity and decodes no compressed body',
    );
    assert.deepEqual(accepted, ["identity"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("fetchOcspResponse() refuses a gzip body whose Content-Length is its small wire size", async () => {
  const bomb = gzipBomb(INFLATED);
  assert.ok(bomb.length < 65_536, `the bomb is ${bomb.length} bytes on the wire`);
  const server = startRawServer(async (conn) => {
    await conn.write(head([
      "content-type: application/ocsp-response",
      "content-encoding: gzip",
      `content-length: ${bomb.length}`,
      "connection: close",
    ]));
    await conn.write(bomb);
  });
  try {
    const url = `${server.url}/ocsp`;
    await assertFetchError(
      fetchOcspResponse(url, REQUEST, { file: "site.pem" }),
      url,
      'response has Content-Encoding "gzip"',
    );
    assert.match(server.heads[0], /^accept-encoding: identity$/im);
  } finally {
    await server.close();
  }
});

Deno.test("fetchOcspResponse() counts the bytes it is handed, not the Content-Length, and stops at the cap", async () => {
  // An HTTP stack that inflates transparently and keeps the wire length (as
  // Deno's own fetch does when it asked for gzip): the Content-Length says
  // ~32 KB while 32 MiB come out. Reading must stop just past the cap.
  const bomb = gzipBomb(INFLATED);
  const server = startRawServer(async (conn) => {
    await conn.write(head([
      "content-type: application/ocsp-response",
      "content-encoding: gzip",
      `content-length: ${bomb.length}`,
      "connection: close",
    ]));
    await conn.write(bomb);
  });
  let delivered = 0;
  const inflating: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const headers = new Headers(response.headers);
    headers.delete("content-encoding");
    const counted = response.body!.pipeThrough(
      // Small compressed pieces, so the inflater emits pieces of ~64 KiB.
      new TransformStream<Uint8Array, BufferSource>({
        transform(chunk, controller) {
          for (let at = 0; at < chunk.length; at += 64) {
            controller.enqueue(chunk.slice(at, at + 64));
          }
        },
      }),
    ).pipeThrough(new DecompressionStream("gzip")).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          delivered += chunk.length;
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: response.status, headers });
  };
  try {
    const url = `${server.url}/ocsp`;
    await assertFetchError(
      fetchOcspResponse(url, REQUEST, { file: "site.pem", fetch: inflating }),
      url,
      "response body exceeds the 65536-byte cap",
    );
    assert.ok(delivered < 1024 * 1024, `${delivered} bytes were inflated before reading stopped`);
  } finally {
    await server.close();
  }
});

Deno.test("fetchOcspResponse() stops at the cap when a chunked body comes with a small Content-Length", async () => {
  // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3): the header
  // says 100 bytes and 2 MiB follow.
  const server = startRawServer(async (conn) => {
    await conn.write(head([
      "content-type: application/ocsp-response",
      "content-length: 100",
      "transfer-encoding: chunked",
      "connection: close",
    ]));
    const chunk = new Uint8Array(0x10000);
    const encoder = new TextEncoder();
    for (let i = 0; i < 32; i++) {
      await conn.write(encoder.encode("10000\r\n"));
      await conn.write(chunk);
      await conn.write(encoder.encode("\r\n"));
    }
    await conn.write(encoder.encode("0\r\n\r\n"));
  });
  try {
    const url = `${server.url}/ocsp`;
    await assertFetchError(
      fetchOcspResponse(url, REQUEST, { file: "site.pem" }),
      url,
      "response body exceeds the 65536-byte cap",
    );
  } finally {
    await server.close();
  }
});

Deno.test("fetchOcspResponse() accepts Content-Encoding: identity", async () => {
  await withServer(async (server) => {
    server.handler = () =>
      new Response(BODY, {
        headers: { "content-type": "application/ocsp-response", "content-encoding": "identity" },
      });
    assert.deepEqual(await fetchOcspResponse(`${server.url}/ocsp`, REQUEST), BODY);
  });
});

// ------------------------------------------------ what the responder pool reads

Deno.test("fetchOcspResponse() sends Connection: close unless keepAlive is set", async () => {
  const server = startRawServer(async (conn) => {
    await conn.write(head(["content-type: application/ocsp-response", "content-length: 5"]));
    await conn.write(BODY);
  });
  try {
    await fetchOcspResponse(`${server.url}/ocsp`, REQUEST);
    await fetchOcspResponse(`${server.url}/ocsp`, REQUEST, { keepAlive: true });
    assert.match(server.heads[0], /^connection: close$/im);
    assert.doesNotMatch(server.heads[1], /^connection:/im);
  } finally {
    await server.close();
  }
});

Deno.test("fetchOcspResponse() says how it failed: status and Retry-After on a 503, unreachable, timeout", async () => {
  await withServer(async (server) => {
    server.handler = () => new Response("busy", { status: 503, headers: { "retry-after": "120" } });
    const url = `${server.url}/ocsp`;
    const err = await assertFetchError(
      fetchOcspResponse(url, REQUEST, { file: "site.pem" }),
      url,
      "HTTP 503 Service Unavailable (Retry-After 120 s)",
    );
    assert.ok(err instanceof ResponderFetchError);
    assert.equal(err.failure, "status");
    assert.equal(err.status, 503);
    assert.equal(err.retryAfterMs, 120_000);
    assert.equal(err.countsTowardDown, true);
  });
  const refused = refusedUrl();
  const unreachable = await fetchOcspResponse(refused, REQUEST).catch((e) => e);
  assert.ok(unreachable instanceof ResponderFetchError && unreachable.failure === "unreachable");
  await withServer(async (server) => {
    server.handler = async () => {
      await server.gate.opened;
      return new Response(BODY);
    };
    const timedOut = await fetchOcspResponse(`${server.url}/ocsp`, REQUEST, { timeoutMs: 100 })
      .catch((e) => e);
    assert.ok(timedOut instanceof ResponderFetchError && timedOut.failure === "timeout");
  });
});

Deno.test("fetchOcspResponse() runs its timeout on the injected clock", async () => {
  await withServer(async (server) => {
    const received = Promise.withResolvers<void>();
    server.handler = async () => {
      received.resolve();
      await server.gate.opened;
      return new Response(BODY);
    };
    const clock = new FakeClock();
    const url = `${server.url}/ocsp`;
    const pending = fetchOcspResponse(url, REQUEST, { file: "site.pem", timeoutMs: 10_000, clock });
    const checked = assertFetchError(pending, url, "no complete answer within 10 s");
    await received.promise;
    assert.equal(clock.timerCount, 1);
    await clock.advance(10_000);
    await checked;
    assert.equal(clock.timerCount, 0);
  });
});
