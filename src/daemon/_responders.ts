/**
 * The engine's responders: the one {@linkcode ResponderPool} of a run
 * (keep-alive connections, in-flight bound, circuit breaker, proxy and
 * overrides, made from the settings and closed at the end), the renewal
 * queue of each responder (`renew <scheme://host:port>`, made on demand,
 * so a responder that hangs holds only its own certificates' slots: the
 * pool keeps at most `-t` of its requests in flight, and its queue runs
 * twice as many renewals, {@linkcode responderQueueSlots}, so that
 * answered ones are checked and written while the next requests are out),
 * and the certificates waiting because every
 * responder of theirs is down (re-queued soon, spread out, when one comes
 * back). Per certificate this keeps only its queue's name and, while it
 * waits, its path in a set; nothing is armed per certificate.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  parseResponderOverride,
  type ProxySettings,
  type ResponderEvent,
  ResponderPool,
} from "../ocsp/responders/mod.ts";
import type { Clock } from "../scheduler/mod.ts";
import type { CertEntry, Settings } from "./_stages.ts";

const log = getLogger(["stapled", "daemon"]);

/** The queue of certificates whose URLs name no responder the pool can key (none, or all disabled). */
export const DEFAULT_RENEW_QUEUE = "renew";

/** Renewals a responder's queue runs per request it may have in flight. */
export const RENEWALS_PER_REQUEST_SLOT = 2;

/**
 * Whether `queue` is a responder's renewal queue (`renew <scheme://host:port>`),
 * whose requests the pool bounds.
 *
 * @param queue A queue's name.
 * @returns True for a responder's queue, false for the default one and the others.
 *
 * @example
 * ```ts
 * import { isResponderQueue } from "./_responders.ts";
 *
 * console.assert(isResponderQueue("renew http://ocsp.example.test:80"));
 * console.assert(!isResponderQueue("renew") && !isResponderQueue("parse"));
 * ```
 */
export function isResponderQueue(queue: string): boolean {
  return queue.startsWith(`${DEFAULT_RENEW_QUEUE} `);
}

/**
 * The renewals a responder's queue runs at once for `-t` requests in
 * flight: the pool holds at most `-t` requests to the responder, and the
 * other renewals check and write what was answered (or wait for a request
 * slot), so that work overlaps the next round trips instead of keeping the
 * responder idle. A responder that hangs holds only these slots.
 *
 * @param threads `-t`: requests in flight per responder.
 * @returns The queue's concurrency.
 *
 * @example
 * ```ts
 * import { responderQueueSlots } from "./_responders.ts";
 *
 * console.assert(responderQueueSlots(2) === 4);
 * ```
 */
export function responderQueueSlots(threads: number): number {
  return threads * RENEWALS_PER_REQUEST_SLOT;
}

/** The longest spread of the certificates re-queued when their responder is back, ms. */
export const UP_SPREAD_MAX_MS = 30_000;

/** The spread per certificate re-queued when their responder is back, ms. */
export const UP_SPREAD_PER_CERT_MS = 100;

/** Options of {@linkcode EngineResponders}. */
export interface EngineRespondersOptions {
  /** The engine's clock. */
  clock: Clock;
  /** Random numbers for jitter. */
  random: () => number;
  /** The environment's proxy settings. @default the pool's (proxySettingsFromEnv()) */
  proxySettings?: ProxySettings;
  /** The fetch implementation (tests). */
  fetch?: typeof fetch;
  /** Adds a renewal queue (the router gives it {@linkcode responderQueueSlots}). */
  addQueue(name: string): void;
  /** A responder is back: these certificates should run again after `delay` ms each. */
  requeue(path: string, delay: number): void;
}

function poolKey(settings: Settings): string {
  return JSON.stringify([
    settings.timeout,
    settings.renewalThreads,
    settings.ocspProxy,
    settings.ocspResponderOverride,
  ]);
}

function describeWait(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/** The responders of one engine run. */
export class EngineResponders {
  #options: EngineRespondersOptions;
  #pool: ResponderPool;
  #key: string;
  #retired: ResponderPool[] = [];
  #queues = new Map<string, string>();
  #waiting = new Map<string, Set<string>>();
  #requeueing = true;

  /**
   * @param settings The engine's settings (timeout, -t, proxy, overrides).
   * @param options Clock, random, proxies, fetch and the engine's callbacks.
   * @throws {ConfigError} If an override is malformed.
   */
  constructor(settings: Settings, options: EngineRespondersOptions) {
    this.#options = options;
    this.#key = poolKey(settings);
    this.#pool = this.#makePool(settings);
  }

  /** The pool renewals fetch through. */
  get pool(): ResponderPool {
    return this.#pool;
  }

  /** The renewal queues made so far (the default one included). */
  queueNames(): string[] {
    return [DEFAULT_RENEW_QUEUE, ...this.#queues.values()];
  }

  /**
   * The renewal queue of a certificate: its current first OCSP URL's
   * responder (after the overrides; a disabled one is passed over).
   *
   * @param entry The certificate.
   * @returns The queue's name, made on first use.
   */
  queueOf(entry: CertEntry): string {
    const urls = entry.bundle?.ocspUrls ?? [];
    for (let i = 0; i < urls.length; i++) {
      const id = this.#pool.responderId(urls[(entry.urlIndex + i) % urls.length]);
      if (id === undefined) continue;
      let name = this.#queues.get(id);
      if (name === undefined) {
        name = `renew ${id}`;
        this.#queues.set(id, name);
        this.#options.addQueue(name);
      }
      return name;
    }
    return DEFAULT_RENEW_QUEUE;
  }

  /**
   * Every responder of `entry` is down: it waits for any of them to come back.
   *
   * @param entry The certificate.
   */
  wait(entry: CertEntry): void {
    for (const id of this.#idsOf(entry)) {
      let paths = this.#waiting.get(id);
      if (!paths) this.#waiting.set(id, paths = new Set());
      paths.add(entry.path);
    }
  }

  /**
   * `entry` runs now: it waits no more.
   *
   * @param entry The certificate.
   */
  unwait(entry: CertEntry): void {
    if (this.#waiting.size === 0) return;
    for (const id of this.#idsOf(entry)) this.#drop(id, entry.path);
  }

  /**
   * `path` is gone.
   *
   * @param path The certificate file.
   */
  forget(path: string): void {
    for (const id of [...this.#waiting.keys()]) this.#drop(id, path);
  }

  /**
   * New settings (a reload): a new pool when the timeout, `-t`, proxy or
   * overrides changed; the old one is closed at the end of the run (its
   * requests in flight finish; idle connections close on their own).
   *
   * @param settings The new settings.
   * @throws {ConfigError} If an override is malformed (the old pool stays).
   */
  reconfigure(settings: Settings): void {
    const key = poolKey(settings);
    if (key === this.#key) return;
    const pool = this.#makePool(settings);
    this.#retired.push(this.#pool);
    this.#pool = pool;
    this.#key = key;
  }

  /** Closes every pool: the run ended. */
  close(): void {
    this.#requeueing = false;
    this.#pool.close();
    for (const pool of this.#retired.splice(0)) pool.close();
    this.#waiting.clear();
  }

  #idsOf(entry: CertEntry): Set<string> {
    const ids = new Set<string>();
    for (const url of entry.bundle?.ocspUrls ?? []) {
      const id = this.#pool.responderId(url);
      if (id !== undefined) ids.add(id);
    }
    return ids;
  }

  #drop(id: string, path: string): void {
    const paths = this.#waiting.get(id);
    if (!paths?.delete(path)) return;
    if (paths.size === 0) this.#waiting.delete(id);
  }

  #makePool(settings: Settings): ResponderPool {
    const { clock, random, proxySettings, fetch } = this.#options;
    return new ResponderPool({
      clock,
      random,
      concurrency: settings.renewalThreads,
      timeoutMs: settings.timeout * 1000,
      ...(settings.ocspProxy ? { proxy: settings.ocspProxy } : {}),
      ...(proxySettings ? { proxySettings } : {}),
      overrides: settings.ocspResponderOverride.map(parseResponderOverride),
      onEvent: (event) => this.#onEvent(event),
      ...(fetch ? { fetch } : {}),
    });
  }

  #onEvent(event: ResponderEvent): void {
    const responder = event.responder;
    const now = this.#options.clock.now();
    switch (event.type) {
      case "down":
        log.warn(
          "OCSP responder {responder} is down ({reason}): its certificates keep their staples and are not sent to it until a probe in {wait} gets an answer",
          { responder, reason: event.reason, wait: describeWait(event.retryAt - now) },
        );
        break;
      case "probe-failed":
        log.info("OCSP responder {responder} still down ({reason}); next probe in {wait}", {
          responder,
          reason: event.reason,
          wait: describeWait(event.retryAt - now),
        });
        break;
      case "up": {
        const paths = [...this.#waiting.get(responder) ?? []];
        log.info(
          "OCSP responder {responder} is back after {downFor}; {count} certificate(s) resume",
          {
            responder,
            downFor: describeWait(event.downForMs),
            count: paths.length,
          },
        );
        if (!this.#requeueing) return;
        const spread = Math.min(UP_SPREAD_MAX_MS, UP_SPREAD_PER_CERT_MS * paths.length);
        for (const path of paths) {
          this.forget(path);
          this.#options.requeue(path, Math.floor(this.#options.random() * spread));
        }
        break;
      }
      case "serial":
        log.info(
          "OCSP responder {responder} serves one connection at a time: one request at a time from now on, each on its own connection",
          { responder },
        );
        break;
    }
  }
}
