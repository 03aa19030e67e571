/**
 * Shared fixtures for the OCSP fetch and renewal tests: a certificate bundle
 * in a temp dir (root, intermediate, leaf with the given OCSP URLs, EC keys so
 * it is fast), an HTTP server on 127.0.0.1 whose handler a test can swap, and
 * the faulty handlers real responders cannot easily produce (error status,
 * HTML, oversized and stalled bodies, redirect loops) with a gate that
 * releases stalled handlers so every test ends without leaked ops.
 *
 * @example
 * ```ts
 * const server = startSwitchableServer();
 * const fx = await makeStapleFixture({ ocspUrls: [server.url] });
 * server.handler = serveDer(await fx.goodResponse());
 * try {
 *   await renewStaple(fx.bundle, { recycle: false });
 * } finally {
 *   await server.close();
 *   await fx.cleanup();
 * }
 * ```
 *
 * @module
 */
import { type CertBundle, hasOcsp, parseBundle } from "../../src/certs/mod.ts";
import { type CertId, certIdFor } from "../../src/ocsp/mod.ts";
import { staplePathFor } from "../../src/staples/mod.ts";
import { type Issued, TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { freePort } from "./net.ts";
import {
  buildOcspResponse,
  ocspHttpResponse,
  type SingleSpec,
} from "../../scripts/lib/ocsp_responder.ts";

/** Options of {@linkcode makeStapleFixture}. */
export interface StapleFixtureOptions {
  /** The leaf's OCSP URLs. @default ["http://127.0.0.1:9/"] */
  ocspUrls?: string[];
}

/** A leaf bundle on disk with its CAs, parsed as the renewer sees it. */
export interface StapleFixture {
  /** The temp dir holding the bundle (and later its staple). */
  dir: string;
  /** The self-signed root above the issuing CA. */
  root: TestCa;
  /** The issuing CA (an intermediate). */
  ca: TestCa;
  /** The leaf certificate. */
  leaf: Issued;
  /** The bundle file `<dir>/site.pem` (leaf, issuing CA, key). */
  path: string;
  /** Where the renewer writes the staple. */
  staplePath: string;
  /** The parsed bundle. */
  bundle: CertBundle;
  /** The leaf's SHA-1 CertID. */
  certId: CertId;
  /**
   * Builds a response about the leaf signed by the issuing CA.
   *
   * @param single Overrides of the SingleResponse (status, times).
   * @returns The DER response.
   */
  goodResponse(single?: Omit<SingleSpec, "certId">): Promise<Uint8Array>;
  /** Removes the temp dir. */
  cleanup(): Promise<void>;
}

/**
 * Makes a root, an intermediate issuing CA and a leaf naming `ocspUrls`,
 * writes the leaf bundle to a fresh temp dir and parses it.
 *
 * @param options The leaf's OCSP URLs.
 * @returns The fixture; call `cleanup()` when done.
 */
export async function makeStapleFixture(
  options: StapleFixtureOptions = {},
): Promise<StapleFixture> {
  const { ocspUrls = ["http://127.0.0.1:9/"] } = options;
  const root = await TestCa.root("Fixture Root");
  const ca = await root.intermediate("Fixture Issuing CA");
  const leaf = await ca.leaf("site.test", { ocspUrls });
  const dir = await Deno.makeTempDir({ prefix: "stapled-fixture-" });
  const path = `${dir}/site.pem`;
  await writeBundle(path, leaf, [ca]);
  const parsed = await parseBundle(path, await Deno.readFile(path));
  if (!hasOcsp(parsed)) throw new Error("Cannot make fixture: the leaf names no OCSP URL");
  const certId = await certIdFor(parsed.issuer, parsed.leaf.serial);
  return {
    dir,
    root,
    ca,
    leaf,
    path,
    staplePath: staplePathFor(path),
    bundle: parsed,
    certId,
    goodResponse: (single = {}) =>
      buildOcspResponse({ signer: ca, singles: [{ certId, ...single }] }),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

/** One HTTP request as the test server saw it. */
export interface SeenRequest {
  /** GET or POST. */
  method: string;
  /** The path, still URL-encoded. */
  path: string;
  /** The Content-Type header, or "". */
  contentType: string;
  /** The body bytes (empty for GET). */
  body: Uint8Array;
}

/** Answers a request; `seen` is the request already read. */
export type TestHandler = (req: Request, seen: SeenRequest) => Response | Promise<Response>;

/** An HTTP server on 127.0.0.1 whose handler can be swapped between requests. */
export interface SwitchableServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request seen, in order. */
  readonly requests: SeenRequest[];
  /** The current handler. @default 404 for everything */
  handler: TestHandler;
  /** Releases stalled handlers, then stops the server. */
  close(): Promise<void>;
  /** Resolves stalled handlers made with this server's {@linkcode Gate}. */
  readonly gate: Gate;
}

/** A one-shot latch stalled handlers wait on. */
export interface Gate {
  /** Resolves once {@linkcode Gate.open} is called. */
  readonly opened: Promise<void>;
  /** Releases every waiter. */
  open(): void;
}

/**
 * Makes a {@linkcode Gate}.
 *
 * @returns A closed gate.
 */
export function makeGate(): Gate {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { opened: promise, open: () => resolve() };
}

/**
 * Starts a server on 127.0.0.1 (free port) that records each request and
 * answers with the current `handler`.
 *
 * @returns The running server.
 */
export function startSwitchableServer(): SwitchableServer {
  const requests: SeenRequest[] = [];
  const gate = makeGate();
  const state: { handler: TestHandler } = {
    handler: () => new Response("not found", { status: 404 }),
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      const seen: SeenRequest = {
        method: req.method,
        path: url.pathname,
        contentType: req.headers.get("content-type") ?? "",
        body: new Uint8Array(await req.arrayBuffer()),
      };
      requests.push(seen);
      return await state.handler(req, seen);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    gate,
    get handler() {
      return state.handler;
    },
    set handler(h: TestHandler) {
      state.handler = h;
    },
    async close() {
      gate.open();
      await server.shutdown();
    },
  };
}

/**
 * A handler answering every request with `der` as an OCSP response.
 *
 * @param der The response body.
 * @returns The handler.
 */
export function serveDer(der: Uint8Array): TestHandler {
  return () => ocspHttpResponse(der);
}

/** A fault an HTTP responder can show, with what the fetch error must say. */
export interface HttpFault {
  /** Test name fragment. */
  name: string;
  /** Makes the handler; `gate` releases stalled ones. */
  handler(gate: Gate): TestHandler;
  /** A fragment the OcspFetchError's reason must contain. */
  reason: string;
  /** The fetch timeout to use, in ms (short for stalls). @default 5000 */
  timeoutMs?: number;
}

/** Bytes just over the default 64 KiB cap. */
const OVERSIZED = 65_536 + 1000;

function stalledStream(gate: Gate, first: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(controller) {
      controller.enqueue(first);
      await gate.opened;
      try {
        controller.close();
      } catch { /* the client went away and the stream was cancelled */ }
    },
  });
}

function chunkedStream(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(8192, total - sent);
      controller.enqueue(new Uint8Array(n));
      sent += n;
    },
  });
}

/**
 * The HTTP-level faults every fetch must turn into an OcspFetchError. The
 * redirect loop answers every request with a redirect to another path.
 */
export const HTTP_FAULTS: readonly HttpFault[] = [
  {
    name: "HTTP 500",
    handler: () => () => new Response("boom", { status: 500 }),
    reason: "HTTP 500",
  },
  {
    name: "200 with an HTML page",
    handler: () => () =>
      new Response("<html><body>Sign in to the Wi-Fi</body></html>", {
        headers: { "content-type": "text/html; charset=utf-8" },
      }),
    reason: 'content type "text/html" is not application/ocsp-response',
  },
  {
    name: "200 with application/octet-stream",
    handler: () => () =>
      new Response(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]), {
        headers: { "content-type": "application/octet-stream" },
      }),
    reason: 'content type "application/octet-stream" is not application/ocsp-response',
  },
  {
    name: "a body over the cap with Content-Length",
    handler: () => () => ocspHttpResponse(new Uint8Array(OVERSIZED)),
    reason: `response body of ${OVERSIZED} bytes exceeds the 65536-byte cap`,
  },
  {
    name: "a chunked body over the cap without Content-Length",
    handler: () => () =>
      new Response(chunkedStream(OVERSIZED), {
        headers: { "content-type": "application/ocsp-response" },
      }),
    reason: "response body exceeds the 65536-byte cap",
  },
  {
    name: "headers later than the timeout",
    handler: (gate) => async () => {
      await gate.opened;
      return ocspHttpResponse(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x03]));
    },
    reason: "no complete answer within 0.3 s",
    timeoutMs: 300,
  },
  {
    name: "a body that stalls after the headers",
    handler: (gate) => () =>
      new Response(stalledStream(gate, new Uint8Array([0x30, 0x82])), {
        headers: { "content-type": "application/ocsp-response" },
      }),
    reason: "no complete answer within 0.3 s",
    timeoutMs: 300,
  },
  {
    name: "a redirect loop",
    handler: () => (_req, seen) =>
      new Response(null, {
        status: 302,
        headers: { location: `/loop${seen.path}` },
      }),
    reason: "too many redirects (more than 1)",
  },
];

/**
 * A URL on 127.0.0.1 where nothing listens: a port bound and closed again.
 *
 * @returns The URL.
 */
export function refusedUrl(): string {
  return `http://127.0.0.1:${freePort()}/`;
}

/**
 * The names of the files in `dir`, sorted.
 *
 * @param dir A directory.
 * @returns Its entries' names.
 */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}
