/**
 * Staple health as plain data: what `stapled status`, `stapled check`, the
 * control socket and the metrics endpoint show. A {@linkcode HealthSnapshot}
 * is JSON-serialisable (times are ISO 8601 strings) and is computed either by
 * a running daemon from a {@linkcode HealthBook} the engine feeds with events,
 * or without a daemon from the files on disk (`health_from_disk.ts`).
 *
 * Per certificate the book keeps a small record (no parsed certificate, no
 * response bytes): its own strings (subject, SANs, serial), the OCSP URLs
 * and the CertID key's issuer part shared with the other certificates of
 * its issuer, and its times as numbers in one table; ISO strings are made
 * only for a snapshot. 100,000 certificates cost a few tens of MB.
 *
 * The data shapes are in health_types.ts (re-exported here); the book's
 * private records in _health_entries.ts.
 *
 * @module
 */
import { type Clock, systemClock } from "../scheduler/clock.ts";
import type {
  CertificateFacts,
  CertificateHealth,
  HealthCounters,
  HealthSnapshot,
  PushHealth,
  ResponderHealth,
  StapleFacts,
} from "./health_types.ts";
import {
  type CertEntry,
  type CertMore,
  errorText,
  EXPIRES_AT,
  type Histogram,
  hostOf,
  Interner,
  iso,
  KEY_ENDS_WITH_SERIAL,
  MUST_STAPLE,
  NEXT_RENEWAL,
  NEXT_UPDATE,
  NO_STRINGS,
  PARSED,
  PRODUCED_AT,
  type ResponderEntry,
  REVOCATION_TIME,
  THIS_UPDATE,
  TimeTable,
} from "./_health_entries.ts";

export type {
  CertificateFacts,
  CertificateHealth,
  ErrorHealth,
  HealthCounters,
  HealthSnapshot,
  PushHealth,
  ResponderHealth,
  ServedHealth,
  StapleFacts,
  StapleStatus,
} from "./health_types.ts";

/** Options of {@linkcode HealthBook}. */
export interface HealthBookOptions {
  /** The clock events are timed on. @default systemClock */
  clock?: Clock;
  /** A responder is down after this many failures in a row. @default 3 */
  downAfter?: number;
  /** Upper bounds (seconds) of the fetch duration histogram. @default FETCH_DURATION_BUCKETS */
  buckets?: readonly number[];
}

/** The default fetch duration buckets, in seconds. */
export const FETCH_DURATION_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const LATENCY_SAMPLES = 8;

/**
 * The daemon's record of staple health, fed by the engine's events and read
 * as a {@linkcode HealthSnapshot}. Every method is synchronous and cheap.
 *
 * @example Feed it and take a snapshot
 * ```ts
 * import { HealthBook } from "./health.ts";
 * const book = new HealthBook();
 * book.certificateParsed("/etc/ssl/www.pem", {
 *   subject: "CN=www.example.test",
 *   serial: "1001",
 *   ocspUrls: ["http://ocsp.example.test/"],
 *   mustStaple: true,
 * });
 * const now = Date.now();
 * book.stapled("/etc/ssl/www.pem", {
 *   status: "good",
 *   thisUpdate: new Date(now - 3_600_000),
 *   nextUpdate: new Date(now + 86_400_000),
 *   expiresAt: new Date(now + 86_400_000),
 * }, new Date(now + 43_200_000));
 * book.pushed("/etc/ssl/www.pem", "/run/haproxy/admin.sock", "ok");
 * book.responderResult("http://ocsp.example.test/", { ok: true, durationMs: 120 });
 * const snapshot = book.snapshot();
 * console.assert(snapshot.certificates[0].staple === "good");
 * console.assert(snapshot.responders[0].up);
 * console.assert(JSON.parse(JSON.stringify(snapshot)).certificates[0].mustStaple === true);
 * ```
 */
export class HealthBook {
  #clock: Clock;
  #downAfter: number;
  #bounds: readonly number[];
  #certs = new Map<string, CertEntry>();
  #times = new TimeTable();
  #shared = new Interner();
  #responders = new Map<string, ResponderEntry>();
  #fetches = new Map<string, number>(); // `${url}\n${result}`
  #durations = new Map<string, Histogram>();
  #pushCounts = new Map<string, number>(); // `${socket}\n${result}`
  #scanSeconds?: number;

  /**
   * @param options Clock, responder down threshold, histogram buckets.
   * @throws {RangeError} When `downAfter` is not a positive integer.
   */
  constructor(options: HealthBookOptions = {}) {
    const { clock = systemClock, downAfter = 3, buckets = FETCH_DURATION_BUCKETS } = options;
    if (!Number.isSafeInteger(downAfter) || downAfter < 1) {
      throw new RangeError(
        `Cannot keep health: downAfter must be a positive integer, got ${downAfter}`,
      );
    }
    this.#clock = clock;
    this.#downAfter = downAfter;
    this.#bounds = [...buckets].sort((a, b) => a - b);
  }

  #entry(path: string): CertEntry {
    let entry = this.#certs.get(path);
    if (!entry) {
      entry = {
        slot: this.#times.allocate(),
        subject: "",
        san: NO_STRINGS,
        serial: "",
        ocspUrls: NO_STRINGS,
        key: undefined,
        flags: 0,
        staple: undefined,
        more: undefined,
      };
      this.#certs.set(path, entry);
    }
    return entry;
  }

  #more(entry: CertEntry): CertMore {
    return entry.more ??= {};
  }

  /** Drops the rarer parts once none is left. */
  #tidy(entry: CertEntry): void {
    const m = entry.more;
    if (m && m.stapleNote === undefined && m.error === undefined && m.pushes === undefined) {
      entry.more = undefined;
    }
  }

  #dropStaple(entry: CertEntry): void {
    entry.staple = undefined;
    for (const column of [PRODUCED_AT, THIS_UPDATE, NEXT_UPDATE, EXPIRES_AT, REVOCATION_TIME]) {
      this.#times.set(entry.slot, column, undefined);
    }
  }

  /**
   * A certificate file was read (again): its facts replace the old ones; a
   * changed serial drops the old staple state.
   *
   * @param path The certificate file.
   * @param facts What the leaf says.
   */
  certificateParsed(path: string, facts: CertificateFacts): void {
    const entry = this.#entry(path);
    if (entry.serial && entry.serial !== facts.serial) {
      this.#dropStaple(entry);
      if (entry.more) entry.more.stapleNote = entry.more.pushes = undefined;
      this.#tidy(entry);
    }
    const { serial, certIdKey } = facts;
    entry.subject = facts.subject;
    entry.san = facts.san?.length ? Object.freeze([...facts.san]) : NO_STRINGS;
    entry.serial = serial;
    entry.ocspUrls = this.#shared.urls(facts.ocspUrls);
    let flags = PARSED | (facts.mustStaple ? MUST_STAPLE : 0);
    if (certIdKey && serial && certIdKey.length > serial.length && certIdKey.endsWith(serial)) {
      entry.key = this.#shared.string(certIdKey.slice(0, certIdKey.length - serial.length));
      flags |= KEY_ENDS_WITH_SERIAL;
    } else {
      entry.key = certIdKey || undefined;
    }
    entry.flags = flags;
  }

  /**
   * A staple is in place (fetched or reused); clears the last error.
   *
   * @param path The certificate file.
   * @param staple The validated response's status and times.
   * @param nextRenewal When it is renewed next, if scheduled.
   */
  stapled(path: string, staple: StapleFacts, nextRenewal?: Date): void {
    const entry = this.#entry(path);
    const { slot } = entry;
    entry.staple = staple.status;
    this.#times.set(slot, PRODUCED_AT, staple.producedAt?.getTime());
    this.#times.set(slot, THIS_UPDATE, staple.thisUpdate.getTime());
    this.#times.set(slot, NEXT_UPDATE, staple.nextUpdate.getTime());
    this.#times.set(slot, EXPIRES_AT, staple.expiresAt.getTime());
    this.#times.set(slot, REVOCATION_TIME, staple.revocationTime?.getTime());
    this.#times.set(slot, NEXT_RENEWAL, nextRenewal?.getTime());
    if (entry.more) {
      entry.more.stapleNote = entry.more.error = undefined;
      this.#tidy(entry);
    }
  }

  /**
   * A certificate's parse or renewal failed. The staple in place stays (it
   * is still served until it expires); failures in a row are counted.
   *
   * @param path The certificate file.
   * @param error The error (a StapledError gives its kind).
   * @param nextRetry When it is retried, if scheduled.
   */
  failed(path: string, error: unknown, nextRetry?: Date): void {
    const entry = this.#entry(path);
    const now = this.#clock.now();
    const { message, kind } = errorText(error);
    const more = this.#more(entry);
    const count = (more.error?.count ?? 0) + 1;
    more.error = { message, kind, count, firstAt: more.error?.firstAt ?? now, lastAt: now };
    this.#times.set(entry.slot, NEXT_RENEWAL, nextRetry?.getTime());
    if (
      kind === "CertParsingError" || kind === "CertFileAccessError" || kind === "CertIssuerMissing"
    ) {
      if (!entry.serial) entry.flags &= ~PARSED;
    }
  }

  /**
   * Notes why a certificate has no staple (without counting a failure).
   *
   * @param path The certificate file.
   * @param note One line.
   */
  noStaple(path: string, note: string): void {
    const entry = this.#entry(path);
    this.#dropStaple(entry);
    this.#more(entry).stapleNote = note;
  }

  /**
   * The next renewal was (re)scheduled.
   *
   * @param path The certificate file.
   * @param at When, or undefined for none.
   */
  scheduled(path: string, at: Date | undefined): void {
    this.#times.set(this.#entry(path).slot, NEXT_RENEWAL, at?.getTime());
  }

  /**
   * A staple was pushed to a HAProxy socket (or refused before sending).
   *
   * @param path The certificate file.
   * @param socket The socket's formatted address.
   * @param result What happened.
   * @param message Why, when not ok.
   */
  pushed(path: string, socket: string, result: PushHealth["result"], message?: string): void {
    const entry = this.#entry(path);
    const pushes = this.#more(entry).pushes ??= [];
    const push = { socket, result, at: this.#clock.now(), message };
    const i = pushes.findIndex((p) => p.socket === socket);
    if (i < 0) pushes.push(push);
    else pushes[i] = push;
    const key = `${socket}\n${result}`;
    this.#pushCounts.set(key, (this.#pushCounts.get(key) ?? 0) + 1);
  }

  /**
   * An OCSP fetch from a responder ended.
   *
   * @param url The responder URL.
   * @param result `ok` with its duration, or the error.
   */
  responderResult(
    url: string,
    result: { ok: true; durationMs: number } | { ok: false; durationMs?: number; error: unknown },
  ): void {
    let entry = this.#responders.get(url);
    if (!entry) this.#responders.set(url, entry = { failures: 0, latencies: [] });
    const label = result.ok ? "ok" : (errorText(result.error).kind ?? "error");
    const key = `${url}\n${label}`;
    this.#fetches.set(key, (this.#fetches.get(key) ?? 0) + 1);
    if (result.durationMs !== undefined) {
      const seconds = result.durationMs / 1000;
      const host = hostOf(url);
      let h = this.#durations.get(host);
      if (!h) {
        this.#durations.set(
          host,
          h = { buckets: this.#bounds.map(() => 0), sum: 0, count: 0 },
        );
      }
      this.#bounds.forEach((le, i) => {
        if (seconds <= le) h.buckets[i]++;
      });
      h.sum += seconds;
      h.count++;
      if (result.ok) {
        entry.latencies.push(seconds);
        if (entry.latencies.length > LATENCY_SAMPLES) entry.latencies.shift();
      }
    }
    if (result.ok) {
      entry.lastSuccess = this.#clock.now();
      entry.failures = 0;
      entry.lastError = undefined;
    } else {
      entry.failures++;
      entry.lastError = errorText(result.error).message;
    }
  }

  /**
   * A scan ended.
   *
   * @param durationMs How long it took.
   */
  scanned(durationMs: number): void {
    this.#scanSeconds = durationMs / 1000;
  }

  /**
   * A certificate file is gone: it is forgotten.
   *
   * @param path The certificate file.
   */
  removed(path: string): void {
    const entry = this.#certs.get(path);
    if (!entry) return;
    this.#certs.delete(path);
    this.#times.release(entry.slot);
  }

  /** How many certificates are known. */
  get size(): number {
    return this.#certs.size;
  }

  /**
   * The health now, as plain data, certificates in path order.
   *
   * @returns A JSON-serialisable snapshot.
   */
  snapshot(): HealthSnapshot {
    const certificates: CertificateHealth[] = [];
    for (const [path, e] of [...this.#certs].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
      const { slot, key, more } = e;
      const time = (column: number) => {
        const ms = this.#times.get(slot, column);
        return ms === undefined ? undefined : iso(ms);
      };
      const certIdKey = key && e.flags & KEY_ENDS_WITH_SERIAL ? key + e.serial : key;
      const c: CertificateHealth = {
        path,
        subject: e.subject,
        san: [...e.san],
        serial: e.serial,
        ocspUrls: [...e.ocspUrls],
        ...(certIdKey ? { certIdKey } : {}),
        mustStaple: (e.flags & MUST_STAPLE) !== 0,
        parsed: (e.flags & PARSED) !== 0,
        staple: e.staple ?? "none",
        pushes: [],
      };
      if (e.staple) {
        const producedAt = time(PRODUCED_AT);
        if (producedAt) c.producedAt = producedAt;
        c.thisUpdate = time(THIS_UPDATE);
        c.nextUpdate = time(NEXT_UPDATE);
        c.expiresAt = time(EXPIRES_AT);
        const revocationTime = time(REVOCATION_TIME);
        if (revocationTime) c.revocationTime = revocationTime;
      }
      const nextRenewal = time(NEXT_RENEWAL);
      if (nextRenewal) c.nextRenewal = nextRenewal;
      if (more?.stapleNote) c.stapleNote = more.stapleNote;
      const error = more?.error;
      if (error) {
        c.lastError = {
          message: error.message,
          ...(error.kind ? { kind: error.kind } : {}),
          count: error.count,
          firstAt: iso(error.firstAt),
          lastAt: iso(error.lastAt),
        };
      }
      for (const p of more?.pushes ?? []) {
        c.pushes.push({
          socket: p.socket,
          result: p.result,
          at: iso(p.at),
          ...(p.message ? { message: p.message } : {}),
        });
      }
      certificates.push(c);
    }
    const responders: ResponderHealth[] = [...this.#responders].map(([url, r]) => ({
      url,
      up: r.failures < this.#downAfter,
      ...(r.lastSuccess !== undefined ? { lastSuccess: iso(r.lastSuccess) } : {}),
      consecutiveFailures: r.failures,
      ...(r.latencies.length
        ? { recentLatencySeconds: r.latencies.reduce((a, b) => a + b, 0) / r.latencies.length }
        : {}),
      ...(r.lastError ? { lastError: r.lastError } : {}),
    }));
    return {
      format: 1,
      source: "daemon",
      generatedAt: iso(this.#clock.now()),
      certificates,
      responders,
      ...(this.#scanSeconds !== undefined ? { scanDurationSeconds: this.#scanSeconds } : {}),
    };
  }

  /**
   * The counters since start, for metrics.
   *
   * @returns Fetches, fetch durations and pushes, as plain data.
   */
  counters(): HealthCounters {
    const split = (key: string) => key.split("\n") as [string, string];
    return {
      fetches: [...this.#fetches].map(([k, count]) => {
        const [responder, result] = split(k);
        return { responder, result, count };
      }),
      fetchDurations: [...this.#durations].map(([host, h]) => ({
        host,
        buckets: this.#bounds.map((le, i) => ({ le, count: h.buckets[i] })),
        sum: h.sum,
        count: h.count,
      })),
      pushes: [...this.#pushCounts].map(([k, count]) => {
        const [socket, result] = split(k);
        return { socket, result, count };
      }),
    };
  }
}
