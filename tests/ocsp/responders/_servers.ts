/**
 * Responders on 127.0.0.1 that behave as responders in the world do, on raw
 * sockets (`Deno.listen`), counting the connections they accept: one that
 * answers with keep-alive, one that never answers, one that trickles, one
 * that resets, one that answers 503 with Retry-After, a slow one, one that
 * serves one connection at a time; a counting TCP relay (in front of
 * OpenSSL's responder) and tinyproxy, a real forward proxy.
 *
 * @module
 */
import { freePort } from "../../_helpers/net.ts";

/** A stand-in DER response: OCSPResponse { responseStatus successful }. */
export const BODY = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One request as a raw server read it. */
export interface RawRequest {
  /** The request line and headers. */
  head: string;
  /** The request line. */
  line: string;
  /** Header values by lowercase name. */
  headers: Map<string, string>;
}

/** What a handler does with one request on a connection: `keep` serves the next on it. */
export type RawHandler = (conn: Deno.Conn, request: RawRequest) => Promise<"keep" | "close">;

/** A raw responder. */
export interface RawServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Requests read so far. */
  readonly requests: RawRequest[];
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Reads one request (head, and a Content-Length body) from `conn`, or null at EOF. */
async function readRequest(
  conn: Deno.Conn,
  pending: { bytes: Uint8Array },
): Promise<RawRequest | null> {
  const buf = new Uint8Array(16_384);
  for (;;) {
    const text = decoder.decode(pending.bytes);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const head = text.slice(0, end);
      const headers = new Map<string, string>();
      for (const line of head.split("\r\n").slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) {
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
      }
      const length = Number(headers.get("content-length") ?? 0);
      const headBytes = encoder.encode(head).length + 4;
      while (pending.bytes.length < headBytes + length) {
        const n = await conn.read(buf);
        if (n === null) return null;
        pending.bytes = concat(pending.bytes, buf.subarray(0, n));
      }
      pending.bytes = pending.bytes.slice(headBytes + length);
      return { head, line: head.split("\r\n")[0], headers };
    }
    const n = await conn.read(buf);
    if (n === null) return null;
    pending.bytes = concat(pending.bytes, buf.subarray(0, n));
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Starts a raw responder calling `handler` for each request.
 *
 * @param handler What to do with a request.
 * @param options `serial`: serve one connection at a time, as simple responders do.
 * @returns The server.
 */
export function startRawServer(
  handler: RawHandler,
  options: { serial?: boolean } = {},
): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: RawRequest[] = [];
  const open = new Set<Deno.Conn>();
  const serving = new Set<Promise<void>>();
  let connections = 0;
  const serve = async (conn: Deno.Conn) => {
    const pending = { bytes: new Uint8Array() };
    try {
      for (;;) {
        const request = await readRequest(conn, pending);
        if (request === null) return;
        requests.push(request);
        if (request.headers.get("connection")?.toLowerCase() === "close") {
          await handler(conn, request);
          return;
        }
        if (await handler(conn, request) === "close") return;
      }
    } catch {
      // the client went away
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        connections++;
        open.add(conn);
        const done = serve(conn);
        if (options.serial) {
          await done;
        } else {
          serving.add(done);
          done.then(() => serving.delete(done));
        }
      }
    } catch { /* closed */ }
  })();
  const port = listener.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    requests,
    async close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await accepting;
      await Promise.all(serving);
    },
  };
}

/**
 * Writes an HTTP/1.1 answer.
 *
 * @param conn The connection.
 * @param status The status line's code and text.
 * @param headers More header lines.
 * @param body The body.
 */
export async function writeAnswer(
  conn: Deno.Conn,
  status: string,
  headers: string[],
  body: Uint8Array,
): Promise<void> {
  const head = [`HTTP/1.1 ${status}`, ...headers, `content-length: ${body.length}`, "", ""];
  await conn.write(concat(encoder.encode(head.join("\r\n")), body));
}

/** Answers every request with {@linkcode BODY}, keeping the connection alive. */
export const answerOk: RawHandler = async (conn) => {
  await writeAnswer(conn, "200 OK", ["content-type: application/ocsp-response"], BODY);
  return "keep";
};

/**
 * Never answers: holds the connection until the client goes away.
 *
 * @param conn The connection.
 * @returns When the client closed it.
 */
export const neverAnswer: RawHandler = async (conn) => {
  const buf = new Uint8Array(1024);
  while (await conn.read(buf) !== null) { /* hold */ }
  return "close";
};

/**
 * Sends the head with a 100-byte Content-Length, then one byte every `everyMs`.
 *
 * @param everyMs Between bytes, ms (real time).
 * @returns The handler.
 */
export function trickle(everyMs: number): RawHandler {
  return async (conn) => {
    await conn.write(encoder.encode(
      "HTTP/1.1 200 OK\r\ncontent-type: application/ocsp-response\r\ncontent-length: 100\r\n\r\n",
    ));
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, everyMs));
      await conn.write(new Uint8Array([0]));
    }
    return "close";
  };
}

/**
 * Resets the connection: closes it with the request still unread, so Linux
 * sends an RST. Use with {@linkcode startResettingServer}.
 */
export function startResettingServer(): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        connections++;
        // Wait for the request's first bytes but read only one, so the rest
        // is unread when the socket closes: the kernel answers with an RST.
        await conn.read(new Uint8Array(1)).catch(() => null);
        await new Promise((r) => setTimeout(r, 5));
        conn.close();
      }
    } catch { /* closed */ }
  })();
  const port = listener.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    requests: [],
    async close() {
      listener.close();
      await accepting;
    },
  };
}

/**
 * Answers 503 with a Retry-After.
 *
 * @param retryAfter The header's value.
 * @returns The handler.
 */
export function unavailable(retryAfter: string): RawHandler {
  return async (conn) => {
    await writeAnswer(
      conn,
      "503 Service Unavailable",
      [`retry-after: ${retryAfter}`],
      new Uint8Array(),
    );
    return "keep";
  };
}

/**
 * Answers like {@linkcode answerOk} after `delayMs` (real time).
 *
 * @param delayMs The delay.
 * @returns The handler.
 */
export function slow(delayMs: number): RawHandler {
  return async (conn, request) => {
    await new Promise((r) => setTimeout(r, delayMs));
    return await answerOk(conn, request);
  };
}

/** A TCP relay in front of a server, counting the connections it relays. */
export interface CountingRelay {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connections accepted. */
  readonly connections: number;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Relays every connection to 127.0.0.1:`port` byte for byte, one upstream
 * connection per client connection, closing each side when the other does.
 *
 * @param port Where to relay to.
 * @returns The relay.
 */
export function countingRelay(port: number): CountingRelay {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const pairs = new Set<Promise<void>>();
  const open = new Set<Deno.Conn>();
  const relay = async (client: Deno.Conn) => {
    let upstream: Deno.Conn | undefined;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port });
      open.add(upstream);
      const up = upstream;
      const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
        const buf = new Uint8Array(16_384);
        try {
          for (;;) {
            const n = await from.read(buf);
            if (n === null) break;
            let at = 0;
            while (at < n) at += await to.write(buf.subarray(at, n));
          }
        } catch { /* closed */ }
        try {
          to.closeWrite();
        } catch { /* closed */ }
      };
      await Promise.all([pipe(client, up), pipe(up, client)]);
    } catch {
      /* refused */
    } finally {
      for (const c of [client, upstream]) {
        if (!c) continue;
        open.delete(c);
        try {
          c.close();
        } catch { /* closed */ }
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        connections++;
        open.add(conn);
        const done = relay(conn);
        pairs.add(done);
        done.then(() => pairs.delete(done));
      }
    } catch { /* closed */ }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    get connections() {
      return connections;
    },
    async close() {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
      await Promise.all(pairs);
    },
  };
}

/** A running tinyproxy. */
export interface Tinyproxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The `Via` name it adds. */
  readonly via: string;
  /** Its log so far. */
  log(): Promise<string>;
  /** Stops it by pid. */
  stop(): Promise<void>;
}

/**
 * Starts tinyproxy in the foreground (`-d`) in `dir`, on a free 127.0.0.1
 * port, allowing 127.0.0.1 only.
 *
 * @param dir A temp directory for its config and log.
 * @returns The proxy, accepting connections.
 */
export async function startTinyproxy(dir: string): Promise<Tinyproxy> {
  const port = freePort();
  const via = "stapled-test-proxy";
  const logFile = `${dir}/tinyproxy.log`;
  await Deno.writeTextFile(
    `${dir}/tinyproxy.conf`,
    [
      `Port ${port}`,
      "Listen 127.0.0.1",
      "Timeout 30",
      "Allow 127.0.0.1",
      `LogFile "${logFile}"`,
      "LogLevel Info",
      "MaxClients 50",
      `ViaProxyName "${via}"`,
      "",
    ].join("\n"),
  );
  const child = new Deno.Command("tinyproxy", {
    args: ["-d", "-c", `${dir}/tinyproxy.conf`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (err) {
      if (i >= 100) {
        child.kill("SIGTERM");
        await child.status;
        throw new Error(`tinyproxy did not listen on ${port}: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    via,
    log: () => Deno.readTextFile(logFile).catch(() => ""),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}
