/**
 * The daemon's lifecycle: run the engine in daemon mode until SIGTERM or
 * SIGINT (exit 0 after at most 5 s of in-flight work), re-read the
 * configuration and rescan on SIGHUP, and reload by itself when a HAProxy
 * configuration or crt-list file changed (noticed at each scan, no timer of
 * its own). Reloads are serialized here; scans are serialized by the
 * engine's scan queue.
 *
 * It also serves the engine's health: on the control socket
 * (`--control-socket`, for `stapled status` and `stapled check`; a directory
 * that is missing or not writable is a warning, never a failure) and, with
 * `--metrics-listen`, as Prometheus metrics. Both are set up at start (a
 * reload does not move them) and closed on shutdown.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { describeError } from "../errors/mod.ts";
import type { StapledConfig } from "../config/config.ts";
import type { HaproxySocketAddress } from "../haproxy/address.ts";
import type { Clock } from "../scheduler/mod.ts";
import type { StapleStore } from "../staples/mod.ts";
import { Daemon, type DaemonOptions } from "./daemon.ts";
import { type ResolvedSources, resolveSources } from "./sources.ts";
import type { StapleSink } from "./types.ts";
import type { Engine } from "./engine.ts";
import { VERSION } from "../config/options.ts";
import { type ControlSocket, startControlSocket } from "../service/control_socket.ts";
import { type MetricsServer, renderMetrics, startMetricsServer } from "../service/metrics.ts";

const log = getLogger(["stapled", "main"]);

/** A sink that can also drop the sockets a new configuration no longer names (the adder). */
export interface ReloadableSink extends StapleSink<HaproxySocketAddress> {
  /** Keeps these sockets, closes the others. */
  retain?(sockets: Iterable<HaproxySocketAddress>): Promise<void>;
}

/** Options of {@linkcode runDaemon}. */
export interface RunDaemonOptions {
  /** The starting configuration. */
  config: StapledConfig;
  /** Its sources (resolved once, for the checks before detaching). */
  resolved: ResolvedSources;
  /** Re-reads the configuration (SIGHUP). */
  reloadConfig: () => Promise<StapledConfig>;
  /** Builds the sources of a configuration. @default resolveSources */
  resolve?: (config: StapledConfig) => Promise<ResolvedSources>;
  /** Where staples are pushed (HAProxy), if anywhere. */
  sink?: ReloadableSink;
  /** Receives each batch of changed staples (--on-update). */
  onStaplesChanged?: (paths: string[]) => void;
  /** The clock. @default systemClock */
  clock?: Clock;
  /** Where staples are kept. @default the files beside the certificates */
  store?: StapleStore;
  /** Stops the daemon as SIGTERM does (tests). */
  signal?: AbortSignal;
}

/**
 * The engine settings of a configuration.
 *
 * @param config The configuration.
 * @returns Its refresh interval, threads, validity, recycling, timeouts, logdir, watching.
 *
 * @example
 * ```ts
 * import { daemonSettings } from "./lifecycle.ts";
 * import { loadConfig } from "../config/config.ts";
 * import { parseCommandLine } from "../config/command_line.ts";
 * const config = await loadConfig(parseCommandLine(["-p", "/etc/ssl", "-t", "4"]));
 * console.assert(daemonSettings(config).renewalThreads === 4);
 * ```
 */
export function daemonSettings(config: StapledConfig): Omit<DaemonOptions, "sources"> {
  return {
    refreshInterval: config.refreshInterval,
    renewalThreads: config.renewalThreads,
    minimumValidity: config.minimumValidity,
    recycle: config.recycle,
    goodOnly: config.goodOnly,
    nonce: config.nonce,
    timeout: config.timeout,
    logdir: config.logdir,
    watch: config.watch,
    fetchIssuer: config.fetchIssuer,
    ocspProxy: config.ocspProxy,
    ocspResponderOverride: config.ocspResponderOverride,
    stateDir: config.stateDir || undefined,
  };
}

/**
 * Runs the daemon until it is told to stop.
 *
 * @param options The configuration, its sources, how to reload, the sink.
 * @returns The exit status (0).
 *
 * @example Run until aborted
 * ```ts
 * import { runDaemon } from "./lifecycle.ts";
 * import { loadConfig } from "../config/config.ts";
 * import { parseCommandLine } from "../config/command_line.ts";
 * const dir = await Deno.makeTempDir();
 * const cli = parseCommandLine(["-p", dir, "--no-watch", "--control-socket", `${dir}/control.sock`]);
 * const config = await loadConfig(cli);
 * const stop = new AbortController();
 * const exit = runDaemon({
 *   config,
 *   resolved: { sources: [{ paths: [dir] }], sockets: new Map(), warnings: [], files: [] },
 *   reloadConfig: () => loadConfig(cli),
 *   signal: stop.signal,
 * });
 * stop.abort();
 * console.assert(await exit === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const { config, sink } = options;
  const resolve = options.resolve ?? ((c: StapledConfig) => resolveSources(c));
  let watched = options.resolved.files;
  let stamps = await fileStamps(watched);
  let reloading = Promise.resolve();
  const daemon = new Daemon<HaproxySocketAddress>({
    ...daemonSettings(config),
    sources: options.resolved.sources,
    sink,
    clock: options.clock,
    store: options.store,
  });
  if (options.onStaplesChanged) daemon.on("staplesChanged", options.onStaplesChanged);

  const reload = (why: string) => {
    log.info("{why}: reading the configuration again and rescanning", { why });
    reloading = reloading.then(async () => {
      try {
        const next = await options.reloadConfig();
        const sources = await resolve(next);
        for (const w of sources.warnings) log.warn("{warning}", { warning: w });
        await sink?.retain?.(sources.sockets.values());
        watched = sources.files;
        await daemon.reload({ ...daemonSettings(next), sources: sources.sources });
        stamps = await fileStamps(watched);
      } catch (err) {
        log.error("configuration not reloaded, keeping the old one: {error}", {
          error: describeError(err),
        });
        daemon.rescan();
      }
    });
  };
  // Rides on the periodic scan: a changed HAProxy configuration is a reload.
  daemon.on("scan", () => {
    reloading = reloading.then(async () => {
      const now = await fileStamps(watched);
      if (now !== stamps) {
        stamps = now;
        reload("a HAProxy configuration or crt-list file changed");
      }
    });
  });

  const exit = new Promise<number>((done) => {
    const listeners: Array<[Deno.Signal, () => void]> = [
      ["SIGTERM", () => stop("SIGTERM")],
      ["SIGINT", () => stop("SIGINT")],
      ["SIGHUP", () => reload("SIGHUP received")],
    ];
    const onAbort = () => stop("stop request");
    function stop(signal: string) {
      log.info("{signal} received, stopping", { signal });
      for (const [s, fn] of listeners) Deno.removeSignalListener(s, fn);
      options.signal?.removeEventListener("abort", onAbort);
      daemon.stop(5000).then(() => done(0), (err) => {
        log.error("stopping failed: {error}", { error: describeError(err) });
        done(0);
      });
    }
    for (const [s, fn] of listeners) Deno.addSignalListener(s, fn);
    if (options.signal?.aborted) queueMicrotask(onAbort);
    else options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const served = await serveHealth(config, daemon);
  await daemon.start();
  log.info("stapled daemon started: {sources} certificate path(s), rescanning every {refresh} s", {
    sources: config.certPaths.length + config.haproxyConfig.length,
    refresh: config.refreshInterval,
  });
  try {
    return await exit;
  } finally {
    await served.control?.close().catch(() => {});
    await served.metrics?.close().catch(() => {});
  }
}

/**
 * Starts the control socket and the metrics server of a configuration; a
 * failure of either is logged and the daemon goes on without it.
 */
async function serveHealth<S>(
  config: StapledConfig,
  engine: Engine<S>,
): Promise<{ control?: ControlSocket; metrics?: MetricsServer }> {
  const out: { control?: ControlSocket; metrics?: MetricsServer } = {};
  if (config.controlSocket) {
    try {
      out.control = await startControlSocket({
        path: config.controlSocket,
        status: () => engine.health(),
      });
    } catch (err) {
      log.warn(
        "no control socket, 'stapled status' and 'stapled check' read the files on disk instead: {error}",
        { error: describeError(err) },
      );
    }
  }
  if (config.metricsListen) {
    try {
      out.metrics = startMetricsServer({
        listen: config.metricsListen,
        metrics: () =>
          renderMetrics(engine.health(), engine.healthBook.counters(), { version: VERSION }),
      });
      log.info("serving metrics on http://{host}:{port}/metrics", {
        host: out.metrics.hostname.includes(":")
          ? `[${out.metrics.hostname}]`
          : out.metrics.hostname,
        port: out.metrics.port,
      });
    } catch (err) {
      log.error("cannot serve metrics on {listen}: {error}", {
        listen: config.metricsListen,
        error: describeError(err),
      });
    }
  }
  return out;
}

/** One string of the files' mtimes and sizes, to notice any change. */
async function fileStamps(files: string[]): Promise<string> {
  const parts: string[] = [];
  for (const file of files) {
    try {
      const info = await Deno.stat(file);
      parts.push(`${file}:${info.mtime?.getTime()}:${info.size}:${info.ino}`);
    } catch {
      parts.push(`${file}:missing`);
    }
  }
  return parts.join("\n");
}
