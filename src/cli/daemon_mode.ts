/**
 * Daemon mode: builds the certificate sources from the configuration, runs
 * the daemon until SIGTERM or SIGINT (exit 0 after at most 5 s of in-flight
 * work), and re-reads the configuration and rescans on SIGHUP.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type CertSource, Daemon, type DaemonOptions, type StapleSink } from "../daemon/mod.ts";
import { describeError } from "../errors/mod.ts";
import type { StapledConfig } from "../config/config.ts";

const log = getLogger(["stapled", "main"]);

/** How a running daemon is reconfigured and how it pushes staples. */
export interface DaemonModeHooks<Socket> {
  /** Re-reads the configuration (SIGHUP). */
  reloadConfig: () => Promise<StapledConfig>;
  /** Builds the certificate sources of a configuration (after SIGHUP). */
  sources: (config: StapledConfig) => Promise<CertSource<Socket>[]>;
  /** The sources of the starting configuration. */
  sources0: CertSource<Socket>[];
  /** Files whose change means "read the configuration again" (HAProxy configs, crt-lists). */
  watchedFiles?: () => string[];
  /** Where staples are pushed (HAProxy), if anywhere. */
  sink?: StapleSink<Socket>;
  /** Runs after a batch of staples changed (--on-update). */
  onStaplesChanged?: (paths: string[]) => void;
}

/** The daemon settings of a configuration. */
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
  };
}

/**
 * Runs the daemon until it is told to stop.
 *
 * @param config The configuration.
 * @param hooks Reload, sources, sink.
 * @returns The exit status (0).
 */
export async function runDaemon<Socket>(
  config: StapledConfig,
  hooks: DaemonModeHooks<Socket>,
): Promise<number> {
  let reloading = Promise.resolve();
  let reload = (_why: string) => {};
  let stamps = await fileStamps(hooks.watchedFiles?.() ?? []);
  const daemon = new Daemon<Socket>({
    ...daemonSettings(config),
    sources: hooks.sources0,
    sink: hooks.sink,
    onStaplesChanged: hooks.onStaplesChanged,
    // Rides on the periodic scan: no timer of its own.
    beforeScan: async () => {
      const now = await fileStamps(hooks.watchedFiles?.() ?? []);
      if (now !== stamps) {
        stamps = now;
        reload("a HAProxy configuration or crt-list file changed");
      }
    },
  });
  const exit = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info("{signal} received, stopping", { signal });
      for (const [s, fn] of listeners) Deno.removeSignalListener(s, fn);
      daemon.stop(5000).then(() => resolve(0), (err) => {
        log.error("stopping failed: {error}", { error: describeError(err) });
        resolve(0);
      });
    };
    reload = (why: string) => {
      log.info("{why}: reading the configuration again and rescanning", { why });
      reloading = reloading.then(async () => {
        try {
          const next = await hooks.reloadConfig();
          await daemon.reload({ ...daemonSettings(next), sources: await hooks.sources(next) });
          stamps = await fileStamps(hooks.watchedFiles?.() ?? []);
        } catch (err) {
          log.error("configuration not reloaded, keeping the old one: {error}", {
            error: describeError(err),
          });
          daemon.rescan();
        }
      });
    };
    const hup = () => reload("SIGHUP received");
    const listeners: Array<[Deno.Signal, () => void]> = [
      ["SIGTERM", () => stop("SIGTERM")],
      ["SIGINT", () => stop("SIGINT")],
      ["SIGHUP", hup],
    ];
    for (const [s, fn] of listeners) Deno.addSignalListener(s, fn);
  });
  await daemon.start();
  log.info("stapled daemon started: {sources} certificate path(s), rescanning every {refresh} s", {
    sources: config.certPaths.length + config.haproxyConfig.length,
    refresh: config.refreshInterval,
  });
  return await exit;
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
