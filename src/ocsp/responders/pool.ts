/**
 * The responders stapled talks to, each kept apart: its own HTTP/1.1
 * keep-alive connection pool (`Deno.createHttpClient`, through its proxy if
 * any), its own bound on requests in flight (the rest queue in order), and
 * its own {@linkcode CircuitBreaker}. A responder that hangs or fails costs
 * only its own certificates; once down, its requests fail fast with a
 * {@linkcode ResponderDownError} until a probe gets an answer.
 *
 * Responders that serve one connection at a time: OpenSSL's `openssl ocsp
 * -port` answers in HTTP/1.0 and closes each connection, so the pool never
 * keeps one of its connections (measured: one connection per request, and
 * four in flight are served in turn). A responder that keeps an idle
 * HTTP/1.1 connection open while serving only one connection at a time
 * stalls the others; when a request times out while another one to the same
 * responder was answered meanwhile, the pool marks it `serial`: one request
 * at a time, each with `Connection: close`, and the timed-out request is
 * sent again once (not counted toward down).
 *
 * Each responder's state is in _entry.ts, one request's execution in
 * _request.ts, and serial detection in _serial.ts.
 *
 * @module
 */
import { DEFAULTS } from "../../config/defaults.ts";
import { type Clock, systemClock } from "../../scheduler/clock.ts";
import { fetchOcspResponse as fetchOnce } from "../fetch.ts";
import { type BreakerState, DOWN_THRESHOLD, PROBE_DELAYS_MS } from "./breaker.ts";
import { ResponderFetchError } from "./errors.ts";
import { type ResponderKey, responderKey } from "./key.ts";
import { createEntry, type Entry, entryStatus, hasAnyProxy } from "./_entry.ts";
import { executeRequest, relabel } from "./_request.ts";
import { overrideResponder, type ResponderOverride } from "./override.ts";
import { type ProxySettings, proxySettingsFromEnv } from "./proxy.ts";

/** Requests in flight per responder by default; more queue. */
export const DEFAULT_RESPONDER_CONCURRENCY = 4;

/** How long an idle kept-alive connection stays open by default, ms. */
export const DEFAULT_POOL_IDLE_TIMEOUT_MS = 15_000;

/** What happened to a responder, for the log. */
export type ResponderEvent =
  | { type: "down"; responder: string; retryAt: number; reason: string }
  | { type: "probe-failed"; responder: string; retryAt: number; reason: string }
  | { type: "up"; responder: string; downForMs: number }
  | { type: "serial"; responder: string };

/** One responder's state, for status output and tests. */
export interface ResponderStatus {
  /** `scheme://host:port`. */
  responder: string;
  /** The breaker's state. */
  state: BreakerState;
  /** Consecutive failures counted. */
  failures: number;
  /** When down: when the next probe may go out. */
  retryAt?: number;
  /** Requests in flight. */
  inFlight: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** The in-flight bound. */
  concurrency: number;
  /** Whether it was found to serve one connection at a time. */
  serial: boolean;
  /** The proxy its requests go through. */
  proxy?: string;
}

/** Options of {@linkcode ResponderPool}. */
export interface ResponderPoolOptions {
  /** The clock for timeouts, the breaker and Retry-After dates. @default systemClock */
  clock?: Clock;
  /** Requests in flight per responder. @default DEFAULT_RESPONDER_CONCURRENCY */
  concurrency?: number;
  /** Whole-request timeout, ms. @default DEFAULTS.timeout * 1000 */
  timeoutMs?: number;
  /** Largest body accepted, bytes. @default 65536 */
  maxBytes?: number;
  /** Keep connections alive (false: `Connection: close` on every request). @default true */
  keepAlive?: boolean;
  /** Idle kept-alive connections close after this many ms. @default DEFAULT_POOL_IDLE_TIMEOUT_MS */
  poolIdleTimeoutMs?: number;
  /** An explicit proxy for every responder (`--ocsp-proxy`), winning over the environment's. */
  proxy?: string;
  /** Proxy settings. @default proxySettingsFromEnv() */
  proxySettings?: ProxySettings;
  /** `--ocsp-responder-override` rules, in order. @default [] */
  overrides?: readonly ResponderOverride[];
  /** Consecutive failures that mark a responder down. @default DOWN_THRESHOLD */
  downThreshold?: number;
  /** Waits before each probe of a down responder. @default PROBE_DELAYS_MS */
  probeDelaysMs?: readonly number[];
  /** A random number in [0, 1), for jitter. @default Math.random */
  random?: () => number;
  /** Told when a responder goes down, fails a probe, comes back or turns out serial. */
  onEvent?: (event: ResponderEvent) => void;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Options of {@linkcode ResponderPool.fetchOcspResponse}. */
export interface PoolFetchOptions {
  /** The certificate file, named in errors. @default "" */
  file?: string;
  /** Cancels the request, also while it waits for a slot or a probe. */
  signal?: AbortSignal;
  /** Overrides the pool's timeout for this request, ms. */
  timeoutMs?: number;
  /** Overrides the pool's cap for this request, bytes. */
  maxBytes?: number;
}

/**
 * Responders with their own connections, in-flight bounds and breakers.
 * Call {@linkcode ResponderPool.close} when done (it closes the clients).
 *
 * @example Fetching through the pool
 * ```ts
 * import { ResponderPool } from "./pool.ts";
 *
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]), {
 *     headers: { "content-type": "application/ocsp-response" },
 *   }));
 * using pool = new ResponderPool({ concurrency: 2, proxySettings: {} });
 * const body = await pool.fetchOcspResponse(`http://127.0.0.1:${server.addr.port}/`, new Uint8Array(8));
 * console.assert(body.length === 5);
 * console.assert(pool.statuses()[0].state === "up");
 * await server.shutdown();
 * ```
 */
export class ResponderPool implements Disposable {
  #clock: Clock;
  #concurrency: number;
  #timeoutMs: number;
  #maxBytes: number;
  #keepAlive: boolean;
  #idleMs: number;
  #settings: ProxySettings;
  #envHasProxy: boolean;
  #overrides: readonly ResponderOverride[];
  #threshold: number;
  #delays: readonly number[];
  #random: () => number;
  #onEvent: (event: ResponderEvent) => void;
  #fetch: typeof fetch | undefined;
  #entries = new Map<string, Entry>();
  #closed = false;

  /**
   * @param options Clock, bounds, timeouts, proxies, overrides, breaker settings.
   * @throws {RangeError} If `concurrency` is not a positive integer or `timeoutMs` is not positive.
   */
  constructor(options: ResponderPoolOptions = {}) {
    const {
      clock = systemClock,
      concurrency = DEFAULT_RESPONDER_CONCURRENCY,
      timeoutMs = DEFAULTS.timeout * 1000,
      maxBytes = 65_536,
      keepAlive = true,
      poolIdleTimeoutMs = DEFAULT_POOL_IDLE_TIMEOUT_MS,
      overrides = [],
      downThreshold = DOWN_THRESHOLD,
      probeDelaysMs = PROBE_DELAYS_MS,
      random = Math.random,
      onEvent = () => {},
    } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(
        `Cannot create responder pool: concurrency ${concurrency} is not a positive integer`,
      );
    }
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot create responder pool: timeout ${timeoutMs} ms is not positive`);
    }
    const fromEnv = proxySettingsFromEnv();
    this.#clock = clock;
    this.#concurrency = concurrency;
    this.#timeoutMs = timeoutMs;
    this.#maxBytes = maxBytes;
    this.#keepAlive = keepAlive;
    this.#idleMs = poolIdleTimeoutMs;
    this.#settings = { ...(options.proxySettings ?? fromEnv) };
    if (options.proxy !== undefined && options.proxy !== "") {
      this.#settings.explicit = options.proxy;
    }
    this.#envHasProxy = hasAnyProxy(fromEnv);
    this.#overrides = overrides;
    this.#threshold = downThreshold;
    this.#delays = probeDelaysMs;
    this.#random = random;
    this.#onEvent = onEvent;
    this.#fetch = options.fetch;
  }

  /**
   * Sends `request` to the responder at `url` (after the overrides), as
   * `fetchOcspResponse` does, within that responder's bound and breaker.
   *
   * @param url The responder URL from the certificate.
   * @param request The DER OCSP request.
   * @param options The file, a signal, a per-request timeout or cap.
   * @returns The response body bytes.
   * @throws {ResponderDownError} The responder is down; not asked (see `retryAt`).
   * @throws {ResponderFetchError} As `fetchOcspResponse`, or `disabled` by an override, or `cancelled`.
   */
  async fetchOcspResponse(
    url: string,
    request: Uint8Array,
    options: PoolFetchOptions = {},
  ): Promise<Uint8Array> {
    const { file = "", signal } = options;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const maxBytes = options.maxBytes ?? this.#maxBytes;
    if (this.#closed) {
      throw new ResponderFetchError(file, url, "cancelled", "the responder pool is closed");
    }
    const target = overrideResponder(url, this.#overrides);
    if (target === null) {
      throw new ResponderFetchError(
        file,
        url,
        "disabled",
        "this responder is disabled by --ocsp-responder-override; not asked",
      );
    }
    let key: ResponderKey | undefined;
    try {
      key = responderKey(target);
    } catch { /* not a URL: fetchOnce says so */ }
    if (key === undefined || (key.scheme !== "http" && key.scheme !== "https")) {
      return await relabel(
        url,
        target,
        () => fetchOnce(target, request, { file, timeoutMs }),
      );
    }
    return await executeRequest(this.#entry(key, target), {
      clock: this.#clock,
      keepAlive: this.#keepAlive,
      fetch: this.#fetch,
      onEvent: this.#onEvent,
      closed: () => this.#closed,
    }, { url, target, request, file, signal, timeoutMs, maxBytes });
  }

  /**
   * Whether the responder serving `url` is down now (its requests would fail
   * fast), so a scheduler can skip its certificates without taking a slot.
   *
   * @param url A responder URL from a certificate.
   * @returns Whether it is down and no probe is due yet.
   */
  isDown(url: string): boolean {
    const target = overrideResponder(url, this.#overrides);
    if (target === null) return false;
    let key: ResponderKey;
    try {
      key = responderKey(target);
    } catch {
      return false;
    }
    const breaker = this.#entries.get(key.id)?.breaker;
    if (!breaker || breaker.state === "up") return false;
    return breaker.state === "probing" || this.#clock.now() < (breaker.retryAt ?? 0);
  }

  /**
   * The responder (`scheme://host:port`) the requests for `url` go to, after
   * the overrides: what a scheduler keeps its per-responder queues by.
   *
   * @param url A responder URL from a certificate.
   * @returns Its responder's id, or undefined when an override disables it or it is no http(s) URL.
   *
   * @example Two paths, one responder; an override moves it
   * ```ts
   * import { ResponderPool } from "./pool.ts";
   * import { parseResponderOverride } from "./override.ts";
   *
   * using pool = new ResponderPool({
   *   proxySettings: {},
   *   overrides: [parseResponderOverride("ocsp.b.test=http://mirror.test:8080")],
   * });
   * console.assert(pool.responderId("http://ocsp.a.test/r3") === "http://ocsp.a.test:80");
   * console.assert(pool.responderId("http://ocsp.b.test/x") === "http://mirror.test:8080");
   * ```
   */
  responderId(url: string): string | undefined {
    const target = overrideResponder(url, this.#overrides);
    if (target === null) return undefined;
    try {
      const key = responderKey(target);
      return key.scheme === "http" || key.scheme === "https" ? key.id : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The state of every responder asked so far.
   *
   * @returns One status per responder, in the order first asked.
   */
  statuses(): ResponderStatus[] {
    return [...this.#entries.values()].map(entryStatus);
  }

  /** Closes every connection; queued requests fail as cancelled. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#entries.values()) {
      entry.limiter.rejectAll(new DOMException("the responder pool is closed", "AbortError"));
      entry.client?.close();
    }
  }

  /** Same as {@linkcode ResponderPool.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #entry(key: ResponderKey, target: string): Entry {
    const existing = this.#entries.get(key.id);
    if (existing) return existing;
    const entry = createEntry(key, target, {
      clock: this.#clock,
      concurrency: this.#concurrency,
      idleMs: this.#idleMs,
      settings: this.#settings,
      envHasProxy: this.#envHasProxy,
      threshold: this.#threshold,
      delays: this.#delays,
      random: this.#random,
      injectedFetch: Boolean(this.#fetch),
    });
    this.#entries.set(key.id, entry);
    return entry;
  }
}
