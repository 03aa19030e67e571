/**
 * One responder's state in the {@linkcode ResponderPool}: its HTTP client
 * (through its proxy if any, or direct when only the environment names
 * one), its in-flight {@linkcode Limiter}, its {@linkcode CircuitBreaker},
 * whether it serves one connection at a time, and the up / down transitions
 * reported as events.
 *
 * @module
 */
import type { Clock } from "../../scheduler/clock.ts";
import { CircuitBreaker } from "./breaker.ts";
import type { ResponderFetchError } from "./errors.ts";
import type { ResponderKey } from "./key.ts";
import { Limiter } from "./_limiter.ts";
import { proxyFor, type ProxySettings } from "./proxy.ts";
import type { ResponderEvent, ResponderStatus } from "./pool.ts";

/** One responder's state. */
export interface Entry {
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

/** What a new entry is built from: the pool's settings. */
export interface EntrySettings {
  clock: Clock;
  concurrency: number;
  idleMs: number;
  settings: ProxySettings;
  envHasProxy: boolean;
  threshold: number;
  delays: readonly number[];
  random: () => number;
  /** A fetch implementation was injected: no HTTP client is created. */
  injectedFetch: boolean;
}

/**
 * Whether any proxy is set.
 *
 * @param settings Proxy settings.
 * @returns Whether one of the proxy variables is set.
 */
export function hasAnyProxy(settings: ProxySettings): boolean {
  return settings.httpProxy !== undefined || settings.httpsProxy !== undefined ||
    settings.allProxy !== undefined;
}

/**
 * A new responder's state, with its own client, limiter and breaker.
 *
 * @param key The responder.
 * @param target The URL its requests go to (after the overrides).
 * @param pool The pool's settings.
 * @returns The entry.
 */
export function createEntry(key: ResponderKey, target: string, pool: EntrySettings): Entry {
  const proxy = proxyFor(target, pool.settings);
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
  } else if (pool.envHasProxy && key.scheme === "http") {
    // Deno applies the environment's proxy itself unless told otherwise:
    // a TCP transport to the responder is a direct connection.
    proxyOption = {
      transport: "tcp",
      hostname: key.host.replace(/^\[|\]$/g, ""),
      port: key.port,
    };
  }
  return {
    key,
    client: pool.injectedFetch ? undefined : Deno.createHttpClient({
      http2: false,
      poolMaxIdlePerHost: pool.concurrency,
      poolIdleTimeout: pool.idleMs,
      ...(proxyOption ? { proxy: proxyOption } : {}),
    }),
    proxy,
    limiter: new Limiter(pool.concurrency),
    breaker: new CircuitBreaker({
      clock: pool.clock,
      threshold: pool.threshold,
      probeDelaysMs: pool.delays,
      random: pool.random,
    }),
    serial: false,
    successes: 0,
    probe: undefined,
    lastError: undefined,
  };
}

/**
 * The entry's state for status output.
 *
 * @param entry The entry.
 * @returns Its status.
 */
export function entryStatus(entry: Entry): ResponderStatus {
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
}

/**
 * The responder answered: its breaker closes, and an `up` event says so if it was down.
 *
 * @param entry The entry.
 * @param clock The pool's clock.
 * @param onEvent The pool's event listener.
 */
export function markUp(entry: Entry, clock: Clock, onEvent: (event: ResponderEvent) => void): void {
  const since = entry.breaker.downSince;
  const wasDown = entry.breaker.state !== "up";
  entry.breaker.success();
  entry.lastError = undefined;
  if (wasDown) {
    onEvent({
      type: "up",
      responder: entry.key.id,
      downForMs: since === undefined ? 0 : clock.now() - since,
    });
  }
}

/**
 * A failure counting toward down: the breaker counts it, and a `down` or
 * `probe-failed` event says so when it opens.
 *
 * @param entry The entry.
 * @param err The failure.
 * @param probe Whether the request was the probe.
 * @param onEvent The pool's event listener.
 */
export function markFailed(
  entry: Entry,
  err: ResponderFetchError,
  probe: boolean,
  onEvent: (event: ResponderEvent) => void,
): void {
  const before = entry.breaker.state;
  entry.lastError = err;
  entry.breaker.failure(err.retryAfterMs);
  if (entry.breaker.state !== "down" || before === "down") return;
  onEvent({
    type: probe ? "probe-failed" : "down",
    responder: entry.key.id,
    retryAt: entry.breaker.retryAt!,
    reason: err.reason,
  });
}
