/**
 * The engine: stapled's one pipeline (finder -> parser -> renewer -> store
 * -> adder) as cooperative tasks of one scheduler. A `scan` task finds new,
 * changed and removed certificate files; a `parse` task reads each new or
 * changed file once; a `renew` task keeps its staple fresh and hands it to
 * the sink. Each handler returns what became of the certificate and its next
 * run; the engine alone schedules it (daemon mode) or settles the
 * certificate instead (one-off and check modes). Nothing one certificate
 * does can stop the engine, and an idle daemon has one timer armed. Queue
 * routing (where a task goes, the handlers running) is in _queues.ts.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type CertBundle, CertCache, type NoOcspBundle } from "../certs/mod.ts";
import { describeError } from "../errors/mod.ts";
import { CertScanner, type CertWatcher } from "../finder/mod.ts";
import { type Clock, Scheduler, systemClock, type Task } from "../scheduler/mod.ts";
import {
  type BundleRecord,
  FileStapleStore,
  FileStateStore,
  type StapleStore,
  type StateStore,
} from "../staples/mod.ts";
import { Emitter } from "./_events.ts";
import { logFirstPass, logFirstScan, Reporter, reportUnexpected } from "./_report.ts";
import { FirstPass } from "./_first_pass.ts";
import { NativeMemory } from "./_native_memory.ts";
import { CertTable } from "./_table.ts";
import { scanPass } from "./_scan.ts";
import { pushGroups } from "./_push.ts";
import { watchSources } from "./_watch.ts";
import { UpdateBatcher } from "./_updates.ts";
import {
  type CertEntry,
  parseCert,
  renewCert,
  type Settings,
  settingsOf,
  type StageContext,
  type Step,
} from "./_stages.ts";
import type { CertOutcome, DaemonStats, EngineEvents, EngineMode, EngineOptions } from "./types.ts";
import { Settlement } from "./_settle.ts";
import { DEFAULT_RENEW_QUEUE, EngineResponders } from "./_responders.ts";
import { type Queues, TaskRouter } from "./_queues.ts";
import { HealthBook, type HealthSnapshot } from "./health.ts";
import { HealthFeed, type LeafFacts } from "./_health_feed.ts";

const log = getLogger(["stapled", "daemon"]);

/** The daemon writes the state file this long after a change. */
const STATE_DEBOUNCE_MS = 10_000;

/**
 * The stapling engine. In daemon mode `start()` begins scanning and
 * `stop()` ends it; in one-off and check modes `run()` settles every
 * certificate once. Subscribe with `on()`.
 *
 * @example Check what a directory holds (no fetching, no writing)
 * ```ts
 * import { Engine } from "./engine.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/broken.pem`, "not a certificate");
 * const engine = new Engine({ sources: [{ paths: [dir] }], mode: "check" });
 * const statuses: string[] = [];
 * engine.on("outcome", (o) => statuses.push(`${o.status} ${o.path.slice(dir.length + 1)}`));
 * await engine.run();
 * console.assert(statuses[0] === "failed broken.pem");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Engine<Socket = unknown> {
  #options: EngineOptions<Socket>;
  #settings: Settings;
  #mode: EngineMode;
  #clock: Clock;
  #store: StapleStore;
  #state: StateStore | undefined;
  #scheduler: Scheduler<Queues>;
  #events = new Emitter<EngineEvents<Socket>>();
  #updates: UpdateBatcher;
  #reporter = new Reporter();
  #scanners: CertScanner[] = [];
  #watchers: CertWatcher[] = [];
  #table: CertTable<Socket>;
  #cache = new CertCache();
  #scanWarnings = new Set<string>();
  #scanning = false;
  #rescanRequested = false;
  #stats: DaemonStats = { certificates: 0, renewed: 0, failures: 0, fetches: 0, scans: 0 };
  #stopped = false;
  /** One-off and check modes: what is not settled yet, and the pushes in flight. */
  #settlement = new Settlement();
  /** The responder pool, the per-responder renewal queues, the certificates waiting for one. */
  #responders: EngineResponders;
  /** Where tasks go, and the handlers running. */
  #router: TaskRouter<Socket>;
  /** Staple health (status, check, metrics), fed from the stages' results (daemon only). */
  #health: HealthFeed;
  /** Full collections now and then, for the native memory of certificates read. */
  #nativeMemory = new NativeMemory();
  /** Daemon: the first scan's certificates until each came to an outcome. */
  #firstPass: FirstPass | undefined;
  /** The stages' context for the current configuration (see #context). */
  #stageContext: StageContext<Socket> | undefined;

  /** @param options Sources, mode, sink, store, clock, settings. */
  constructor(options: EngineOptions<Socket>) {
    this.#options = options;
    this.#mode = options.mode ?? "daemon";
    this.#clock = options.clock ?? systemClock;
    this.#store = options.store ?? new FileStapleStore({ clock: this.#clock });
    this.#state = options.state ??
      (options.stateDir && this.#mode !== "check"
        ? FileStateStore.open(options.stateDir, {
          debounceMs: this.#mode === "daemon" ? STATE_DEBOUNCE_MS : undefined,
        })
        : undefined);
    this.#settings = settingsOf(options);
    this.#table = new CertTable(options.sources);
    this.#health = new HealthFeed(new HealthBook({ clock: this.#clock }));
    const quiet = this.#mode === "daemon" ? 1000 : Infinity;
    this.#updates = new UpdateBatcher(this.#clock, quiet, (paths) => {
      this.#events.emit("staplesChanged", paths);
    });
    this.#scheduler = new Scheduler<Queues>({
      clock: this.#clock,
      tickMs: options.tickMs ?? 1000,
      onError: (err, task) =>
        log.error("unexpected scheduler error: {error}", {
          cert: String(task.subject),
          error: describeError(err),
        }),
    });
    this.#router = new TaskRouter({
      scheduler: this.#scheduler,
      table: this.#table,
      settlement: this.#settlement,
      queueOf: (entry) => this.#responders.queueOf(entry),
      renewQueues: () => this.#responders.queueNames(),
    });
    this.#addQueue("scan", 1, (task) => this.#scan(task));
    this.#addQueue("parse", 2, (task, entry) => parseCert(this.#context(), task, entry!));
    this.#responders = new EngineResponders(this.#settings, {
      clock: this.#clock,
      random: options.random ?? Math.random,
      proxySettings: options.proxySettings,
      fetch: options.fetch,
      addQueue: (name) => this.#addRenewQueue(name),
      requeue: (path, delay) => {
        if (!this.#stopped && this.#mode === "daemon") this.#router.add("renew", path, { delay });
      },
    });
    this.#addRenewQueue(DEFAULT_RENEW_QUEUE);
    this.#makeScanners();
    if (this.#mode === "daemon") {
      this.#firstPass = new FirstPass(() => this.#clock.now(), (summary) => {
        this.#nativeMemory.settled();
        logFirstPass(summary);
        this.#events.emit("firstPass", summary);
      });
    }
  }

  /**
   * Subscribes to what the engine reports (see {@linkcode EngineEvents}).
   *
   * @param name `scan`, `warning`, `outcome` or `staplesChanged`.
   * @param listener Called synchronously with each value.
   * @returns A function that unsubscribes.
   */
  on<K extends keyof EngineEvents<Socket>>(
    name: K,
    listener: (value: EngineEvents<Socket>[K]) => void,
  ): () => void {
    return this.#events.on(name, listener);
  }

  /** Counters since start. */
  get stats(): DaemonStats {
    return { ...this.#stats, certificates: this.#table.entries.size };
  }

  /** The scheduler, for introspection in tests (pending tasks, armed timer). */
  get scheduler(): Scheduler<Queues> {
    return this.#scheduler;
  }

  /** The health of every certificate and responder now (status, check, metrics). */
  health(): HealthSnapshot {
    return this.#health.book.snapshot();
  }

  /** The book behind {@linkcode Engine.health}, for its counters (metrics). */
  get healthBook(): HealthBook {
    return this.#health.book;
  }

  /** The certificate files known, in the order they were found. */
  certificates(): IterableIterator<string> {
    return this.#table.entries.keys();
  }

  /** Daemon mode: starts scanning now, and watching the cert paths when enabled. */
  async start(): Promise<void> {
    this.rescan();
    if (this.#mode === "daemon" && this.#settings.watch) await this.#watch();
  }

  /**
   * One-off and check modes: one scan, and every certificate found settled
   * once (its first parse or renewal outcome); resolves when all have and
   * the pushes made have ended, after the `staplesChanged` batch.
   *
   * @throws {RangeError} In daemon mode.
   */
  async run(): Promise<void> {
    if (this.#mode === "daemon") {
      throw new RangeError("Cannot run a daemon engine once: start() it");
    }
    this.rescan();
    await this.#settlement.settled;
    await this.#settlement.pushesEnded();
    const order = [...this.#table.entries.keys()];
    this.#updates.flush((paths) => paths.sort((a, b) => order.indexOf(a) - order.indexOf(b)));
    await this.#scheduler.close();
    this.#responders.close();
    await this.#state?.flush();
  }

  /** Scans the cert paths now (SIGHUP, file system events). */
  rescan(): void {
    if (this.#stopped) return;
    // A scan running now would schedule the next periodic one and so replace
    // this request: it rescans at once instead.
    if (this.#scanning) this.#rescanRequested = true;
    else this.#scheduler.add({ queue: "scan", subject: "scan", payload: null });
  }

  /**
   * Applies new sources and settings (SIGHUP after the config changed), then rescans.
   *
   * @param options The new options (mode, sink, store and clock are kept).
   */
  async reload(
    options: Omit<EngineOptions<Socket>, "sink" | "clock" | "fetch" | "store" | "state" | "mode">,
  ): Promise<void> {
    this.#options = { ...this.#options, ...options };
    this.#settings = settingsOf(this.#options);
    this.#stageContext = undefined;
    this.#responders.reconfigure(this.#settings);
    this.#table.sources = this.#options.sources;
    await Promise.all(this.#watchers.splice(0).map((w) => w.close()));
    this.#makeScanners();
    // Re-derive every file's source from scratch: the new scanners report all as added.
    for (const path of [...this.#table.entries.keys()]) this.#forget(path);
    this.#stats.scans = 0;
    this.rescan();
    if (this.#mode === "daemon" && this.#settings.watch) await this.#watch();
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
    let timer: unknown;
    await Promise.race([
      this.#scheduler.close(),
      new Promise((r) => (timer = this.#clock.setTimeout(() => r(undefined), graceMs))),
    ]);
    this.#clock.clearTimeout(timer);
    this.#responders.close();
    this.#updates.cancel();
    await Promise.all(this.#watchers.splice(0).map((w) => w.close()));
    await this.#state?.flush();
    await this.#options.sink?.close();
  }

  /**
   * Resolves once no task is running or due and no push is in flight (tests
   * move a fake clock, then wait for the real I/O it started).
   */
  idle(): Promise<void> {
    return this.#router.idle();
  }

  #makeScanners(): void {
    this.#scanners = this.#options.sources.map((s) => new CertScanner(s.paths, s.find ?? {}));
  }

  async #watch(): Promise<void> {
    this.#watchers = await watchSources(this.#options.sources, this.#clock, () => this.rescan());
  }

  /**
   * What the stages need: the engine's state and outputs, nothing that
   * reaches back. Built once per configuration (a reload makes it again),
   * not once per task.
   */
  #context(): StageContext<Socket> {
    return this.#stageContext ??= {
      mode: this.#mode,
      settings: this.#settings,
      clock: this.#clock,
      store: this.#store,
      state: this.#state,
      cache: this.#cache,
      fetch: this.#options.fetch,
      pool: this.#responders.pool,
      waitForResponders: (entry: CertEntry) => this.#responders.wait(entry),
      // Status and metrics exist in the daemon only: one-off and check skip the leaf facts.
      ...(this.#mode === "daemon"
        ? {
          parsed: (entry: CertEntry, bundle: CertBundle | NoOcspBundle, facts: LeafFacts) =>
            this.#health.parsed(entry.path, bundle, facts),
          recalled: (entry: CertEntry, bundle: BundleRecord) =>
            this.#health.recalled(entry.path, bundle),
        }
        : {}),
      random: this.#options.random ?? Math.random,
      sink: this.#options.sink,
      stats: this.#stats,
      sourceOf: (entry: CertEntry) => this.#table.sourceOf(entry),
      outcome: (entry: CertEntry, status: CertOutcome["status"], more: Partial<CertOutcome>) =>
        this.#table.outcome(entry, status, {
          ...(entry.issuerFetch?.fetched && more.result ? { issuerFetch: entry.issuerFetch } : {}),
          ...more,
        }),
      readFull: () => this.#nativeMemory.read(),
      recalledUnread: () => this.#nativeMemory.recalled(),
      fetched: () => this.#nativeMemory.fetched(),
      push: (entry: CertEntry, der: Uint8Array) => this.#push(entry, der),
      pushes: (entry: CertEntry) =>
        this.#options.sink !== undefined && pushGroups(this.#table.sources, entry).length > 0,
      changed: (path: string) => {
        if (this.#events.has("staplesChanged")) this.#updates.add(path);
      },
    };
  }

  /** A renewal queue (one per responder): `-t` renewals in flight in each. */
  #addRenewQueue(name: string): void {
    this.#addQueue(name, this.#settings.renewalThreads, (task, entry) => {
      this.#responders.unwait(entry!);
      return renewCert(this.#context(), task, entry!);
    });
  }

  #addQueue(
    queue: string,
    concurrency: number,
    handler: (task: Task<null>, entry?: CertEntry) => Promise<Step<Socket> | undefined>,
  ): void {
    this.#router.addQueue(queue, concurrency, async (task, entry) => {
      const step = queue === "scan"
        ? await handler(task)
        : await this.#guard(task, entry!, () => handler(task, entry));
      if (!task.aborted && !this.#stopped) this.#apply(task, step);
    });
  }

  /**
   * The one place a task's next run is decided: a handler's step is
   * scheduled (daemon), or settles the certificate (one-off, check); a
   * next run in a later stage (parse -> renew) continues the pipeline.
   */
  #apply(task: Task<null>, step: Step<Socket> | undefined): void {
    const settles = this.#mode !== "daemon";
    const stage = task.queue.startsWith(DEFAULT_RENEW_QUEUE) ? "renew" : task.queue;
    const next = step?.next;
    const outcome = step?.outcome;
    if (outcome) {
      const at = next?.at ?? (next ? this.#clock.now() + (next.delay ?? 0) : undefined);
      if (this.#mode === "daemon") {
        this.#health.outcome(outcome, this.#table.entries.get(outcome.path), at);
        this.#firstPass?.outcome(outcome, at);
      }
      this.#events.emit("outcome", outcome);
    }
    if (settles) {
      if (task.queue === "scan") {
        this.#settlement.scanned();
      } else if (outcome || !next || next.queue === stage) {
        this.#settlement.settle(String(task.subject));
      }
      if (outcome || !next || next.queue === stage) return;
    } else if (outcome && !step?.logged) {
      this.#reporter.outcome(outcome, step?.note, step?.next?.at, step?.recovered);
    }
    if (next) {
      const { queue, delay, at } = next;
      this.#router.add(queue, String(task.subject), { delay, at });
    }
  }

  /** Runs a stage; an unexpected exception drops the certificate until its file changes. */
  async #guard(
    task: Task<null>,
    entry: CertEntry,
    run: () => Promise<Step<Socket> | undefined>,
  ): Promise<Step<Socket> | undefined> {
    try {
      return await run();
    } catch (err) {
      if (task.aborted) return undefined;
      const outcome = this.#table.outcome(entry, "failed", { error: err });
      if (this.#mode !== "daemon") return { outcome };
      this.#scheduler.cancelSubject(entry.path);
      await reportUnexpected(this.#settings.logdir, `${task.queue} ${entry.path}`, entry.path, err);
      // Nothing is rescheduled: the scanner re-adds the file when it changes.
      return { outcome, logged: true };
    }
  }

  // --- scan -------------------------------------------------------------

  async #scan(_task: Task<null>): Promise<Step<Socket>> {
    this.#scanning = true;
    this.#rescanRequested = false;
    const started = this.#clock.now();
    try {
      this.#events.emit("scan", ++this.#stats.scans);
      const { runs, warnings } = await scanPass(this.#scanners, this.#table, {
        recycle: this.#settings.recycle,
        cleanup: this.#mode === "check" ? undefined : (paths) => this.#store.cleanup(paths),
        onRead: (path) => {
          this.#scheduler.cancelSubject(path);
          if (this.#mode !== "daemon") this.#settlement.add(path);
          else this.#firstPass?.add(path);
        },
        onGone: (path) => this.#forget(path),
      });
      // A problem is reported when it appears, not on every scan while it lasts.
      for (const w of warnings) {
        if (this.#scanWarnings.has(w)) continue;
        this.#events.emit("warning", w);
        if (this.#mode !== "check") log.warn("{warning}", { warning: w });
      }
      this.#scanWarnings = warnings;
      for (const [path, queue] of runs) this.#router.add(queue, path);
      if (this.#stats.scans === 1) {
        logFirstScan(this.#mode, this.#table.entries.size, this.#options.sources, this.#settings);
        this.#firstPass?.scanned();
      }
    } catch (err) {
      log.error("scanning the certificate paths failed: {error}", { error: describeError(err) });
    } finally {
      this.#scanning = false;
      this.#health.book.scanned(this.#clock.now() - started);
    }
    const delay = this.#rescanRequested ? 0 : this.#settings.refreshInterval * 1000;
    return { next: { queue: "scan", delay } };
  }

  #push(entry: CertEntry, der: Uint8Array): void {
    const sink = this.#options.sink;
    if (!sink || der.length === 0) return;
    for (const { sockets, options } of pushGroups(this.#table.sources, entry)) {
      const push = sink.push(entry.path, der, sockets, options)
        .then((results) => this.#health.pushed(entry.path, results))
        .catch(() => {});
      if (this.#mode !== "daemon") this.#settlement.track(push);
    }
  }

  #forget(path: string): void {
    this.#scheduler.cancelSubject(path);
    this.#table.entries.delete(path);
    this.#health.book.removed(path);
    this.#firstPass?.forget(path);
    this.#responders.forget(path);
    this.#reporter.clear(path);
    this.#settlement.settle(path);
    this.#options.sink?.forget(path);
  }
}
