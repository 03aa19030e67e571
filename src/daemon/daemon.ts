/**
 * The daemon: the original's pipeline (finder -> parser -> renewer -> adder)
 * as cooperative tasks of one scheduler. A `scan` task finds new, changed
 * and removed certificate files every refresh interval (and soon after a
 * file system event); a `parse` task reads each new or changed file once; a
 * `renew` task keeps its staple fresh and hands it to the adder. Failures
 * are retried by the table in `policy.ts`; nothing one certificate does can
 * stop the daemon, and an idle daemon has one timer armed and does nothing
 * until it fires.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type CertBundle, CertCache, hasOcsp, readBundle } from "../certs/mod.ts";
import { describeError, OcspResponderError, StapledError } from "../errors/mod.ts";
import { CertScanner, type CertWatcher, type FindOptions, watchCertPaths } from "../finder/mod.ts";
import { dumpStackTrace, RepeatFilter, repeatNote } from "../log/mod.ts";
import { type RenewResult, renewStaple } from "../renewer/mod.ts";
import { type Clock, Scheduler, systemClock, type Task } from "../scheduler/mod.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { LeftoverCleaner, type StapleNaming, staplePathFor } from "../staples/mod.ts";
import { type HaproxyExtraFiles, haproxyStapleFiles } from "../haproxy/config/mod.ts";
import { fileRetryDelay, nextRenewalAt, renewalRetryDelay } from "./policy.ts";

const log = getLogger(["stapled", "daemon"]);

/** Where certificates come from, and who serves them. */
export interface CertSource<Socket = unknown> {
  /** Certificate files or directories. */
  paths: string[];
  /** How to find files under them. */
  find?: FindOptions;
  /** The HAProxy sockets serving these certificates. */
  sockets?: readonly Socket[];
  /** How staple files are named. @default "append" */
  naming?: StapleNaming;
  /** HAProxy's `ssl-load-extra-files` for these certificates (where the issuer may come from). */
  extraFiles?: HaproxyExtraFiles;
}

/** Receives staples for HAProxy; the daemon does not wait for it. */
export interface StapleSink<Socket = unknown> {
  /** A new staple for `certPath`, to push to `sockets`. */
  push(certPath: string, der: Uint8Array, sockets: readonly Socket[]): Promise<unknown>;
  /** `certPath` is gone; stop re-pushing it. */
  forget(certPath: string): void;
  /** Closes the sockets. */
  close(): Promise<void>;
}

/** Renewal policy and settings. */
export interface DaemonSettings {
  /** Seconds between scans. @default 60 */
  refreshInterval?: number;
  /** Renewals in flight. @default 2 */
  renewalThreads?: number;
  /** Seconds of validity below which a staple is renewed. @default 7200 */
  minimumValidity?: number;
  /** Reuse valid staples found on disk when a file is (re)parsed. @default true */
  recycle?: boolean;
  /** Empty staple instead of a revoked response. @default false */
  goodOnly?: boolean;
  /** Send nonces. @default false */
  nonce?: boolean;
  /** OCSP HTTP timeout, seconds. @default 10 */
  timeout?: number;
  /** Where stack traces of unexpected errors go. */
  logdir?: string;
  /** Watch the cert paths for changes. @default true */
  watch?: boolean;
}

/** Options of {@linkcode Daemon}. */
export interface DaemonOptions<Socket = unknown> extends DaemonSettings {
  /** The certificate sources. */
  sources: CertSource<Socket>[];
  /** Where new staples go (HAProxy). @default none */
  sink?: StapleSink<Socket>;
  /** The clock. @default systemClock */
  clock?: Clock;
  /** The fetch implementation. */
  fetch?: typeof fetch;
  /** Random numbers for jitter. @default Math.random */
  random?: () => number;
  /** Scheduler tick, ms. @default 1000 */
  tickMs?: number;
  /** Called after each batch of staples changed on disk (for --on-update). */
  onStaplesChanged?: (paths: string[]) => void;
  /** Called at the start of every scan (e.g. to notice a changed HAProxy configuration). */
  beforeScan?: () => Promise<void>;
}

/** What the daemon keeps per certificate: small on purpose. */
interface CertEntry {
  path: string;
  /** The sources (indexes) that list this file; its staple goes to all their sockets. */
  sources: Set<number>;
  bundle?: CertBundle;
  fileFailures: number;
  renewFailures: number;
  urlIndex: number;
  lastFetchAt?: number;
  /** The effective expiry of the staple on disk, when known. */
  validUntil?: number;
  /** The next renewal may reuse the staple on disk (first renewal after a parse). */
  recycle: boolean;
}

type Queues = { scan: null; parse: null; renew: null };

/** Counters for logs and tests. */
export interface DaemonStats {
  /** Certificates known. */
  certificates: number;
  /** Staples written or reused since start. */
  renewed: number;
  /** Renewals that failed since start. */
  failures: number;
  /** OCSP fetches made since start. */
  fetches: number;
  /** Scans made since start (or the last reload). */
  scans: number;
}

/**
 * The long-running stapler. `start()` begins scanning; `stop()` stops
 * scheduling, lets running tasks finish (at most 5 s) and closes the sink.
 */
export class Daemon<Socket = unknown> {
  #options: DaemonOptions<Socket>;
  #settings: Required<Omit<DaemonSettings, "logdir">> & { logdir?: string };
  #clock: Clock;
  #scheduler: Scheduler<Queues>;
  #scanners: CertScanner[] = [];
  #watchers: CertWatcher[] = [];
  #entries = new Map<string, CertEntry>();
  #cache = new CertCache();
  /** Removes temp files an interrupted stapled left, once per directory. */
  #leftovers = new LeftoverCleaner();
  #repeats = new RepeatFilter();
  #changed = new Set<string>();
  #changedTimer: unknown;
  #scanWarnings = new Set<string>();
  #scanning = false;
  #rescanRequested = false;
  #stats: DaemonStats = { certificates: 0, renewed: 0, failures: 0, fetches: 0, scans: 0 };
  #stopped = false;

  /**
   * @param options Sources, sink, settings, clock.
   */
  constructor(options: DaemonOptions<Socket>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#settings = Daemon.#settingsOf(options);
    this.#scheduler = new Scheduler<Queues>({
      clock: this.#clock,
      tickMs: options.tickMs ?? 1000,
      onError: (err, task) =>
        log.error("unexpected scheduler error: {error}", {
          cert: String(task.subject),
          error: describeError(err),
        }),
    });
    this.#scheduler.addQueue("scan", { handler: () => this.#scan(), concurrency: 1 });
    this.#scheduler.addQueue("parse", {
      handler: (t) => this.#guard(t, () => this.#parse(t)),
      concurrency: 2,
    });
    this.#scheduler.addQueue("renew", {
      handler: (t) => this.#guard(t, () => this.#renew(t)),
      concurrency: this.#settings.renewalThreads,
    });
    this.#makeScanners();
  }

  static #settingsOf(o: DaemonSettings) {
    return {
      refreshInterval: o.refreshInterval ?? DEFAULTS.refreshInterval,
      renewalThreads: o.renewalThreads ?? DEFAULTS.renewalThreads,
      minimumValidity: o.minimumValidity ?? DEFAULTS.minimumValidity,
      recycle: o.recycle ?? DEFAULTS.recycle,
      goodOnly: o.goodOnly ?? DEFAULTS.goodOnly,
      nonce: o.nonce ?? DEFAULTS.nonce,
      timeout: o.timeout ?? DEFAULTS.timeout,
      watch: o.watch ?? DEFAULTS.watch,
      logdir: o.logdir,
    };
  }

  #makeScanners(): void {
    this.#scanners = this.#options.sources.map((s) => new CertScanner(s.paths, s.find ?? {}));
  }

  /** Counters since start. */
  get stats(): DaemonStats {
    return { ...this.#stats, certificates: this.#entries.size };
  }

  /** The scheduler, for introspection in tests (pending tasks, armed timer). */
  get scheduler(): Scheduler<Queues> {
    return this.#scheduler;
  }

  /** Starts scanning now, and watching the cert paths when enabled. */
  async start(): Promise<void> {
    this.rescan();
    if (this.#settings.watch) await this.#watch();
  }

  async #watch(): Promise<void> {
    for (const source of this.#options.sources) {
      try {
        this.#watchers.push(
          await watchCertPaths(source.paths, {
            onChange: () => this.rescan(),
            onWarning: (message) => log.debug("file watch: {message}", { message }),
            recursive: source.find?.recursive,
            extensions: source.find?.extensions,
            ignore: source.find?.ignore,
          }),
        );
      } catch (err) {
        log.warn("cannot watch {paths} for changes ({reason}); relying on the periodic scan", {
          paths: source.paths.join(", "),
          reason: describeError(err),
        });
      }
    }
  }

  /** Scans the cert paths now (SIGHUP, file system events). */
  rescan(): void {
    if (this.#stopped) return;
    // A scan running now would schedule the next periodic one and so replace
    // this request: ask it to rescan at once instead.
    if (this.#scanning) this.#rescanRequested = true;
    else this.#scheduler.add({ queue: "scan", subject: "scan", payload: null });
  }

  /**
   * Applies new sources and settings (SIGHUP after the config changed), then rescans.
   *
   * @param options The new options (sink and clock are kept).
   */
  async reload(options: Omit<DaemonOptions<Socket>, "sink" | "clock" | "fetch">): Promise<void> {
    this.#options = { ...this.#options, ...options };
    this.#settings = Daemon.#settingsOf(this.#options);
    await Promise.all(this.#watchers.splice(0).map((w) => w.close()));
    this.#makeScanners();
    // Re-derive every file's source from scratch: the new scanners report all as added.
    for (const path of [...this.#entries.keys()]) this.#forget(path);
    this.#stats.scans = 0;
    this.rescan();
    if (this.#settings.watch) await this.#watch();
  }

  /**
   * Stops: no new tasks, running ones get at most `graceMs` to finish, then
   * the watchers and the sink close.
   *
   * @param graceMs How long running tasks may take. @default 5000
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#scheduler.close(),
      new Promise((r) => (timer = setTimeout(r, graceMs))),
    ]);
    clearTimeout(timer);
    if (this.#changedTimer !== undefined) this.#clock.clearTimeout(this.#changedTimer);
    await Promise.all(this.#watchers.splice(0).map((w) => w.close()));
    await this.#options.sink?.close();
  }

  // --- scan -------------------------------------------------------------

  async #scan(): Promise<void> {
    this.#scanning = true;
    this.#rescanRequested = false;
    try {
      this.#stats.scans++;
      await this.#options.beforeScan?.();
      const parsing = new Set<string>(); // files (re)read by this scan
      const warnings = new Set<string>();
      for (const [index, scanner] of this.#scanners.entries()) {
        const result = await scanner.scan();
        await this.#leftovers.sweepFor(result.added.map((file) => file.path));
        for (const w of result.warnings) {
          // A problem is reported when it appears, not on every scan while it lasts.
          if (!this.#scanWarnings.has(w)) log.warn("{warning}", { warning: w });
          warnings.add(w);
        }
        for (const file of result.added) this.#fileFound(file.path, index, parsing, false);
        for (const file of result.changed) this.#fileFound(file.path, index, parsing, true);
        for (const path of result.removed) {
          const entry = this.#entries.get(path);
          if (!entry) continue;
          entry.sources.delete(index);
          if (entry.sources.size > 0) continue;
          log.info("certificate file removed, forgetting it", { cert: path });
          this.#forget(path);
        }
      }
      this.#scanWarnings = warnings;
      if (this.#stats.scans === 1) {
        const paths = this.#options.sources.reduce((n, s) => n + s.paths.length, 0);
        if (this.#entries.size === 0) {
          log.warn(
            "no certificate files found in {paths} cert path(s); looking again every {interval} s",
            {
              paths,
              interval: this.#settings.refreshInterval,
            },
          );
        } else {
          log.info("{count} certificate file(s) found in {paths} cert path(s)", {
            count: this.#entries.size,
            paths,
          });
        }
      }
    } catch (err) {
      log.error("scanning the certificate paths failed: {error}", { error: describeError(err) });
    } finally {
      this.#scanning = false;
      if (!this.#stopped) {
        this.#scheduler.add({
          queue: "scan",
          subject: "scan",
          payload: null,
          delay: this.#rescanRequested ? 0 : this.#settings.refreshInterval * 1000,
        });
      }
    }
  }

  /**
   * A scanner of source `index` found `path` new or changed: (re)read it,
   * once per scan however many sources list it; a file another source
   * already holds only gains this source's sockets.
   */
  #fileFound(path: string, index: number, parsing: Set<string>, changed: boolean): void {
    const known = this.#entries.get(path);
    if (known && (parsing.has(path) || !changed)) {
      const added = !known.sources.has(index);
      known.sources.add(index);
      // Already stapled for other sockets: hand the staple to the new ones too.
      if (added && !parsing.has(path) && known.bundle) {
        known.recycle = true;
        this.#scheduler.add({ queue: "renew", subject: path, payload: null });
      }
      return;
    }
    parsing.add(path);
    if (known) log.info("certificate file changed, reading it again", { cert: path });
    this.#scheduler.cancelSubject(path);
    this.#entries.set(path, {
      path,
      sources: new Set([...(known?.sources ?? []), index]),
      fileFailures: 0,
      renewFailures: 0,
      urlIndex: 0,
      recycle: this.#settings.recycle,
      lastFetchAt: known?.lastFetchAt,
      validUntil: known?.validUntil,
    });
    this.#scheduler.add({ queue: "parse", subject: path, payload: null });
  }

  /** The sockets serving `entry`: those of every source that lists it. */
  #socketsOf(entry: CertEntry): Socket[] {
    return [...entry.sources].flatMap((i) => [...(this.#options.sources[i]?.sockets ?? [])]);
  }

  #forget(path: string): void {
    this.#scheduler.cancelSubject(path);
    this.#entries.delete(path);
    this.#repeats.clear(path);
    this.#options.sink?.forget(path);
  }

  // --- guard --------------------------------------------------------------

  /** Runs a task; an unexpected exception drops the certificate until its file changes. */
  async #guard(task: Task<null>, run: () => Promise<void>): Promise<void> {
    const path = String(task.subject);
    try {
      await run();
    } catch (err) {
      if (task.signal.aborted) return;
      this.#scheduler.cancelSubject(path);
      let where = "";
      if (this.#settings.logdir) {
        const file = await dumpStackTrace(this.#settings.logdir, `${task.queue} ${path}`, err);
        if (file) where = `; stack trace in ${file}`;
      }
      log.error("unexpected error, certificate dropped until its file changes: {error}{where}", {
        cert: path,
        error: describeError(err),
        where,
      });
      // Nothing is rescheduled: the scanner re-adds the file when it changes.
    }
  }

  // --- parse --------------------------------------------------------------

  async #parse(task: Task<null>): Promise<void> {
    const path = String(task.subject);
    const entry = this.#entries.get(path);
    if (!entry) return;
    let bundle;
    try {
      const { issuerFile, issuerHint } = haproxyStapleFiles(
        path,
        this.#options.sources[[...entry.sources][0]] ?? {},
      );
      bundle = await readBundle(path, {
        cache: this.#cache,
        now: new Date(this.#clock.now()),
        issuerFile,
        issuerHint,
      });
    } catch (err) {
      if (!(err instanceof StapledError)) throw err;
      if (task.signal.aborted) return;
      if (err.kind === "CertFileAccessError") {
        entry.fileFailures++;
        const delay = fileRetryDelay(entry.fileFailures);
        this.#report(
          path,
          "error",
          err.reason,
          delay === undefined ? "waiting until the file changes" : `retry in ${delay / 1000} s`,
        );
        if (delay !== undefined) {
          this.#scheduler.add({ queue: "parse", subject: path, payload: null, delay });
        }
        return;
      }
      if (err.kind === "CertIssuerMissing") {
        // <file>.issuer is not a certificate file the scanner watches: look again.
        entry.fileFailures++;
        const delay = renewalRetryDelay(entry.fileFailures);
        this.#report(path, "error", err.reason, `looking again in ${formatDelay(delay)}`);
        this.#scheduler.add({ queue: "parse", subject: path, payload: null, delay });
        return;
      }
      this.#report(path, "error", err.reason, "waiting until the file changes");
      this.#options.sink?.forget(path);
      return;
    }
    if (task.signal.aborted) return;
    entry.fileFailures = 0;
    if (!hasOcsp(bundle)) {
      log.info("no OCSP URL in the certificate, nothing to staple", { cert: path });
      this.#options.sink?.forget(path);
      if (entry.validUntil !== undefined) await this.#removeStaleStaple(entry);
      return;
    }
    entry.bundle = bundle;
    this.#scheduler.add({ queue: "renew", subject: path, payload: null });
  }

  /**
   * The certificate was replaced by one without an OCSP URL: the staple we
   * wrote for the old one no longer matches, and HAProxy refuses to start
   * with a staple that matches no certificate. Remove it.
   */
  async #removeStaleStaple(entry: CertEntry): Promise<void> {
    const staple = staplePathFor(entry.path, this.#options.sources[[...entry.sources][0]]?.naming);
    try {
      await Deno.remove(staple);
      log.info("removed {staple}, the staple of the certificate this file held before", {
        cert: entry.path,
        staple,
      });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        log.warn("cannot remove the stale staple {staple}: {reason}", {
          cert: entry.path,
          staple,
          reason: (err as Error).message,
        });
      }
    }
    entry.validUntil = undefined;
  }

  // --- renew --------------------------------------------------------------

  async #renew(task: Task<null>): Promise<void> {
    const path = String(task.subject);
    const entry = this.#entries.get(path);
    if (!entry?.bundle) return;
    const source = this.#options.sources[[...entry.sources][0]];
    let result: RenewResult;
    try {
      result = await renewStaple(entry.bundle, {
        clock: this.#clock,
        minimumValidity: this.#settings.minimumValidity,
        recycle: entry.recycle,
        goodOnly: this.#settings.goodOnly,
        nonce: this.#settings.nonce,
        timeoutMs: this.#settings.timeout * 1000,
        firstUrl: entry.urlIndex,
        naming: source?.naming,
        cache: this.#cache,
        fetch: this.#options.fetch,
        signal: task.signal,
      });
    } catch (err) {
      if (task.signal.aborted) return;
      if (!(err instanceof StapledError)) throw err;
      entry.urlIndex++; // each retry starts at the next OCSP URL
      entry.renewFailures++;
      this.#stats.failures++;
      const delay = renewalRetryDelay(entry.renewFailures, this.#clock.now(), entry.validUntil);
      const level = err instanceof OcspResponderError ? "warning" : "error";
      this.#report(
        path,
        level,
        err.reason,
        `retry ${entry.renewFailures} in ${formatDelay(delay)}`,
      );
      this.#scheduler.add({ queue: "renew", subject: path, payload: null, delay });
      return;
    }
    if (task.signal.aborted) return;
    const now = this.#clock.now();
    const fetched = result.action === "fetched";
    if (fetched) {
      entry.lastFetchAt = now;
      this.#stats.fetches++;
    }
    this.#stats.renewed++;
    entry.recycle = false;
    const failedBefore = entry.renewFailures;
    entry.renewFailures = 0;
    entry.validUntil = result.response.expiresAt.getTime();
    this.#repeats.clear(path);
    const response = result.response;
    const at = nextRenewalAt({
      now,
      thisUpdate: response.thisUpdate,
      expiresAt: response.expiresAt,
      signerNotAfter: response.signer === "delegated" ? response.signerNotAfter : undefined,
      minimumValidity: this.#settings.minimumValidity,
      lastFetchAt: entry.lastFetchAt,
      random: (this.#options.random ?? Math.random)(),
    });
    this.#scheduler.add({ queue: "renew", subject: path, payload: null, at });
    const next = new Date(at).toISOString();
    if (response.status === "revoked") {
      log.error("certificate REVOKED since {time}{reason}; {what}; next check {next}", {
        cert: path,
        time: response.revocationTime?.toISOString(),
        reason: response.revocationReason ? `, reason ${response.revocationReason}` : "",
        what: result.written.length
          ? "revoked response stapled"
          : "empty staple written (--good-only; HAProxy serves the staple it holds until it reloads)",
        next,
      });
    } else {
      log.info("{how}, valid until {until}; next renewal {next}{recovered}", {
        cert: path,
        how: fetched ? `staple fetched from ${result.url}` : "existing staple reused",
        until: response.expiresAt.toISOString(),
        next,
        recovered: failedBefore
          ? ` (recovered after ${failedBefore} failed attempt${failedBefore > 1 ? "s" : ""})`
          : "",
      });
    }
    if (result.written.length > 0) {
      this.#options.sink?.push(path, result.written, this.#socketsOf(entry)).catch(() => {});
    }
    if (fetched) this.#noteChanged(path);
  }

  /** Collects changed staples and hands them over after 1 s without changes. */
  #noteChanged(path: string): void {
    if (!this.#options.onStaplesChanged) return;
    this.#changed.add(path);
    if (this.#changedTimer !== undefined) this.#clock.clearTimeout(this.#changedTimer);
    this.#changedTimer = this.#clock.setTimeout(() => {
      this.#changedTimer = undefined;
      const batch = [...this.#changed];
      this.#changed.clear();
      try {
        this.#options.onStaplesChanged?.(batch);
      } catch (err) {
        log.error("the update hook failed: {error}", { error: describeError(err) });
      }
    }, 1000);
  }

  /** Logs a failure once per distinct message; repeats are counted silently. */
  #report(path: string, level: "error" | "warning", reason: string, next: string): void {
    const decision = this.#repeats.check(path, reason);
    if (!decision.log) {
      log.debug("{reason} (again; {next})", { cert: path, reason, next });
      return;
    }
    const message = "{reason}{repeats}; {next}";
    const props = { cert: path, reason, repeats: repeatNote(decision.repeated), next };
    if (level === "error") log.error(message, props);
    else log.warn(message, props);
  }
}

function formatDelay(ms: number): string {
  if (ms >= 3_600_000) return `${ms / 3_600_000} h`;
  if (ms >= 60_000) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
