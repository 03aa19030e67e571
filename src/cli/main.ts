/**
 * stapled's entry point: parse the command line and config files, set up
 * logging, then run a mode: `--check-config`, `--one-off` or the daemon
 * (each the same engine, src/daemon/engine.ts), or a subcommand: `status
 * [--json] [--haproxy]` and `check [-v]` (status.ts, check.ts), which read
 * the same configuration and ask the daemon's control socket. Returns the
 * exit status: 0 success, 1 a certificate failed (one-off), 2 usage or
 * configuration error; `check` exits 0 to 3 as a Nagios plugin (3 on any error).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ConfigError, describeError, StapledError } from "../errors/mod.ts";
import { setupLogging, shutdownLogging } from "../log/mod.ts";
import { loadConfig, type StapledConfig } from "../config/config.ts";
import { type CommandLine, parseCommandLine } from "../config/command_line.ts";
import { daemonSettings, resolveSources, runDaemon } from "../daemon/mod.ts";
import { HaproxyAdder } from "../haproxy/runtime/mod.ts";
import { checkConfig } from "./check_config.ts";
import { runOneOff } from "./one_off.ts";
import { daemonize, type DaemonReadiness, takeDaemonReadiness } from "../service/daemonize.ts";
import { Pidfile } from "../service/pidfile.ts";
import { UpdateHook } from "../service/on_update.ts";
import { checkResponderOptions } from "../ocsp/responders/mod.ts";
import { checkMetricsListen } from "../service/metrics.ts";
import { runStatus } from "./status.ts";
import { runCheck } from "./check.ts";
import { CHECK_UNKNOWN } from "./check_view.ts";

const log = getLogger(["stapled", "main"]);

/**
 * Ends a run that threw: a ConfigError is a usage error (one line, status 2);
 * anything else is rethrown. A `-D` parent waiting for this process is told.
 */
function failed(err: unknown, readiness: DaemonReadiness | undefined): number {
  if (err instanceof ConfigError) {
    readiness?.failed(2, err.message);
    console.error(`stapled: ${err.message}`);
    return 2;
  }
  readiness?.failed(1, describeError(err));
  throw err;
}

/** The flags only a subcommand takes, removed before the common options are parsed. */
const SUBCOMMAND_FLAGS: Record<string, readonly string[]> = {
  status: ["--json", "--haproxy"],
  check: ["--verbose"],
};

/**
 * Runs `stapled status` or `stapled check` with the common options in `args`.
 * `check` never fails otherwise than with UNKNOWN (3).
 */
async function subcommand(name: "status" | "check", args: string[]): Promise<number> {
  const flags = new Set<string>();
  const rest: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (args.slice(0, i).includes("--")) rest.push(arg);
    else if (SUBCOMMAND_FLAGS[name].includes(arg)) flags.add(arg);
    else if (name === "check" && /^-v+$/.test(arg)) flags.add("--verbose");
    else rest.push(arg);
  }
  try {
    const cli = parseCommandLine(rest);
    if (cli.exit !== undefined) return cli.exit;
    const config = await loadConfig(cli);
    checkMetricsListen(config.metricsListen);
    if (name === "check") return await runCheck(config, { verbose: flags.has("--verbose") });
    return await runStatus(config, { json: flags.has("--json"), haproxy: flags.has("--haproxy") });
  } catch (err) {
    const line = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    if (name === "check") {
      console.log(`OCSP UNKNOWN - ${line}`);
      return CHECK_UNKNOWN;
    }
    if (!(err instanceof StapledError)) throw err;
    console.error(`stapled: ${line}`);
    return err instanceof ConfigError ? 2 : 1;
  }
}

/**
 * Runs stapled with `args`.
 *
 * @param args Command-line arguments (without the program name).
 * @returns The exit status.
 *
 * @example A configuration error is exit status 2
 * ```ts
 * import { main } from "./main.ts";
 * console.assert(await main(["--timeout", "-1"]) === 2);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  // Set when this process is the child of `-D`: it reports back to the parent.
  if (args[0] === "status" || args[0] === "check") return await subcommand(args[0], args.slice(1));
  const readiness = takeDaemonReadiness();
  let config: StapledConfig;
  let cli: CommandLine;
  try {
    cli = parseCommandLine(args);
    if (cli.exit !== undefined) return cli.exit;
    config = await loadConfig(cli);
    checkResponderOptions(config);
    checkMetricsListen(config.metricsListen);
    if (config.certPaths.length === 0 && config.haproxyConfig.length === 0) {
      throw new ConfigError(
        "",
        "nothing to staple: give certificate paths (-p PATH...) or --haproxy-config FILE",
      );
    }
    await setupLogging({
      verbosity: config.verbosity,
      quiet: config.quiet,
      logdir: config.logdir,
      syslog: config.syslog,
    });
  } catch (err) {
    return failed(err, readiness);
  }
  const sink = new HaproxyAdder({ client: { keepaliveSeconds: config.haproxySocketKeepalive } });
  try {
    const resolved = await resolveSources(config);
    if (config.checkConfig) return await checkConfig(config, resolved);
    for (const w of [...config.warnings, ...resolved.warnings]) {
      log.warn("{warning}", { warning: w });
    }
    if (config.daemon && !config.oneOff) {
      // Checked everything above in the foreground; now detach.
      return await daemonize(args, { logged: config.logdir !== undefined || config.syslog });
    }
    const hook = config.onUpdate ? new UpdateHook(config.onUpdate) : undefined;
    if (config.oneOff) {
      // A mistyped path in a cron line must not pass silently.
      for (const path of config.certPaths) {
        try {
          await Deno.stat(path);
        } catch (err) {
          throw new ConfigError(
            path,
            `cannot read cert path: ${(err as Error).message.split(":")[0]}`,
          );
        }
      }
      // The daemon's settings, less what only a daemon does (rescans, watching).
      const { refreshInterval: _, watch: __, logdir: ___, ...settings } = daemonSettings(config);
      const summary = await runOneOff(resolved.sources, {
        ...settings,
        sink,
        onStaplesChanged: hook && ((paths) => hook.notify(paths)),
      });
      await hook?.close();
      return summary.exitCode;
    }
    const pidfile = config.pidfile ? await Pidfile.acquire(config.pidfile) : undefined;
    readiness?.ready();
    try {
      return await runDaemon({
        config,
        resolved,
        reloadConfig: async () => {
          const next = await loadConfig(cli);
          checkResponderOptions(next);
          checkMetricsListen(next.metricsListen);
          return next;
        },
        sink,
        onStaplesChanged: hook && ((paths) => hook.notify(paths)),
      });
    } finally {
      await hook?.close();
      await pidfile?.release();
    }
  } catch (err) {
    return failed(err, readiness);
  } finally {
    await sink.close();
    await shutdownLogging();
  }
}
