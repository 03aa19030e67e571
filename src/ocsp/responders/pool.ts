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
 * @module
 */
import { DEFAULTS } from "../../config/defaults.ts";
import { type Clock, systemClock } from "../../scheduler/clock.ts";
import { fetchOcspResponse as fetchOnce } from "../fetch.ts";
import { type BreakerState, CircuitBreaker, DOWN_THRESHOLD, PROBE_DELAYS_MS } from "./breaker.ts";
import { ResponderDownError, ResponderFetchError } from "./errors.ts";
import { type ResponderKey, responderKey } from "./key.ts";
import { Limiter } from "./_limiter.ts";
import { overrideResponder, type ResponderOverride } from "./override.ts";
import { proxyFor, type ProxySettings, proxySettingsFromEnv } from "./proxy.ts";

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

interface Entry {
  key: ResponderKey;
  client: Deno.HttpClient | undefined;
  proxy: string | undefined;
  limiter: Limiter;
  breaker: CircuitBreaker;
  serial: boolean;
  successes: number;
  probe: Promise<void> | undefined;
  lastError: ResponderFetchError | undefined;
}

function waitOrAbort(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

function hasAnyProxy(settings: ProxySettings): boolean {
  return settings.httpProxy !== undefined || settings.httpsProxy !== undefined ||
    settings.allProxy !== undefined;
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
      return await this.#relabel(
        url,
        target,
        () => fetchOnce(target, request, { file, timeoutMs }),
      );
    }
    const entry = this.#entry(key, target);
    const cancelled = (err: unknown) =>
      new ResponderFetchError(file, url, "cancelled", "cancelled", { cause: err });
    for (let attempt = 0;; attempt++) {
      try {
        while (entry.breaker.state === "probing" && entry.probe) {
          await waitOrAbort(entry.probe, signal);
        }
      } catch (err) {
        throw cancelled(err);
      }
      const admission = entry.breaker.admit();
      if (admission === "down") {
        throw new ResponderDownError(
          file,
          url,
          key.id,
          entry.breaker.retryAt ?? this.#clock.now(),
          {
            cause: entry.lastError,
          },
        );
      }
      const probe = admission === "probe" ? Promise.withResolvers<void>() : undefined;
      if (probe) entry.probe = probe.promise;
      const endProbe = () => {
        if (!probe) return;
        if (entry.breaker.state === "probing") entry.breaker.neutral();
        entry.probe = undefined;
        probe.resolve();
      };
      try {
        await entry.limiter.acquire(signal);
      } catch (err) {
        endProbe();
        throw cancelled(err);
      }
      if (this.#closed) {
        entry.limiter.release();
        endProbe();
        throw new ResponderFetchError(file, url, "cancelled", "the responder pool is closed");
      }
      if (!probe && entry.breaker.state !== "up") {
        entry.limiter.release(); // it went down while this one waited
        continue;
      }
      const successesBefore = entry.successes;
      const pooled = this.#keepAlive && !entry.serial && entry.limiter.limit > 1;
      try {
        const body = await this.#relabel(url, target, () =>
          fetchOnce(target, request, {
            file,
            timeoutMs,
            maxBytes,
            signal,
            client: entry.client,
            keepAlive: this.#keepAlive && !entry.serial,
            clock: this.#clock,
            ...(this.#fetch ? { fetch: this.#fetch } : {}),
          }));
        entry.successes++;
        this.#up(entry);
        return body;
      } catch (err) {
        if (!(err instanceof ResponderFetchError)) throw err;
        if (
          err.failure === "timeout" && attempt === 0 && pooled && entry.successes > successesBefore
        ) {
          // Answered others meanwhile but not this one: it serves one
          // connection at a time and ours waited behind a kept-alive one.
          if (!entry.serial) {
            entry.serial = true;
            entry.limiter.limit = 1;
            this.#onEvent({ type: "serial", responder: key.id });
          }
          continue;
        }
        if (err.countsTowardDown) {
          if (probe || entry.breaker.state !== "probing") this.#failed(entry, err, !!probe);
        } else if (err.answered) {
          this.#up(entry);
        }
        throw err;
      } finally {
        entry.limiter.release();
        endProbe();
      }
    }
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
    return [...this.#entries.values()].map((entry) => {
      const status: ResponderStatus = {
        responder: entry.key.id,
        state: entry.breaker.state,
        failures: entry.breaker.failures,
        inFlight: entry.limiter.active,
        queued: entry.limiter.queued,
        concurrency: entry.limiter.limit,
        serial: entry.serial,
      };
      if (entry.breaker.retryAt !== undefined) status.retryAt = entry.breaker.retryAt;
      if (entry.proxy !== undefined) status.proxy = entry.proxy;
      return status;
    });
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
    const proxy = proxyFor(target, this.#settings);
    let proxyOption: Deno.Proxy | undefined;
    if (proxy !== undefined) {
      const parsed = new URL(proxy);
      const basicAuth = parsed.username !== ""
        ? {
          username: decodeURIComponent(parsed.username),
          password: decodeURIComponent(parsed.password),
        }
        : undefined;
      parsed.username = "";
      parsed.password = "";
      proxyOption = { url: parsed.href.replace(/\/$/, ""), ...(basicAuth ? { basicAuth } : {}) };
    } else if (this.#envHasProxy && key.scheme === "http") {
      // Deno applies the environment's proxy itself unless told otherwise:
      // a TCP transport to the responder is a direct connection.
      proxyOption = {
        transport: "tcp",
        hostname: key.host.replace(/^\[|\]$/g, ""),
        port: key.port,
      };
    }
    const entry: Entry = {
      key,
      client: this.#fetch ? undefined : Deno.createHttpClient({
        http2: false,
        poolMaxIdlePerHost: this.#concurrency,
        poolIdleTimeout: this.#idleMs,
        ...(proxyOption ? { proxy: proxyOption } : {}),
      }),
      proxy,
      limiter: new Limiter(this.#concurrency),
      breaker: new CircuitBreaker({
        clock: this.#clock,
        threshold: this.#threshold,
        probeDelaysMs: this.#delays,
        random: this.#random,
      }),
      serial: false,
      successes: 0,
      probe: undefined,
      lastError: undefined,
    };
    this.#entries.set(key.id, entry);
    return entry;
  }

  #up(entry: Entry): void {
    const since = entry.breaker.downSince;
    const wasDown = entry.breaker.state !== "up";
    entry.breaker.success();
    entry.lastError = undefined;
    if (wasDown) {
      this.#onEvent({
        type: "up",
        responder: entry.key.id,
        downForMs: since === undefined ? 0 : this.#clock.now() - since,
      });
    }
  }

  #failed(entry: Entry, err: ResponderFetchError, probe: boolean): void {
    const before = entry.breaker.state;
    entry.lastError = err;
    entry.breaker.failure(err.retryAfterMs);
    if (entry.breaker.state !== "down" || before === "down") return;
    this.#onEvent({
      type: probe ? "probe-failed" : "down",
      responder: entry.key.id,
      retryAt: entry.breaker.retryAt!,
      reason: err.reason,
    });
  }

  /** Runs a fetch of `target`, naming `url` (the certificate's) in its errors. */
  async #relabel<T>(url: string, target: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (target === url || !(err instanceof ResponderFetchError)) throw err;
      const reason = err.reason.startsWith(`${target}: `)
        ? err.reason.slice(target.length + 2)
        : err.reason;
      throw new ResponderFetchError(err.file, url, err.failure, `${reason} (sent to ${target})`, {
        cause: err.cause,
        ...(err.status !== undefined ? { status: err.status } : {}),
        ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
      });
    }
  }
}
