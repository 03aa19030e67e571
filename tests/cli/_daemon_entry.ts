/**
 * A stand-in for `main.ts` with `-D`, `--pidfile` and `--on-update` wired the
 * way `src/cli/main.ts` should do it, so the daemonizing tests run real
 * processes before main.ts is wired. Once main.ts is, the tests should run it
 * instead and this file can go.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ConfigError, describeError } from "../../src/errors/mod.ts";
import { setupLogging, shutdownLogging } from "../../src/log/mod.ts";
import { loadConfig, type StapledConfig } from "../../src/cli/config.ts";
import { type CommandLine, parseCommandLine } from "../../src/cli/options.ts";
import { runDaemon } from "../../src/cli/daemon_mode.ts";
import { resolveSources } from "../../src/cli/sources.ts";
import { daemonize, takeDaemonReadiness } from "../../src/cli/daemonize.ts";
import { Pidfile } from "../../src/cli/pidfile.ts";
import { UpdateHook } from "../../src/cli/on_update.ts";

const log = getLogger(["stapled", "main"]);

async function entry(args: string[]): Promise<number> {
  const readiness = takeDaemonReadiness();
  const usageError = (err: ConfigError) => {
    readiness?.failed(2, err.message);
    console.error(`stapled: ${err.message}`);
    return 2;
  };
  let config: StapledConfig;
  let cli: CommandLine;
  try {
    cli = parseCommandLine(args);
    if (cli.exit !== undefined) return cli.exit;
    config = await loadConfig(cli);
    await setupLogging({
      verbosity: config.verbosity,
      quiet: config.quiet,
      logdir: config.logdir,
      syslog: config.syslog,
    });
  } catch (err) {
    if (err instanceof ConfigError) return usageError(err);
    throw err;
  }
  try {
    const resolved = await resolveSources(config);
    for (const w of config.warnings) log.warn("{warning}", { warning: w });
    if (config.daemon && !config.oneOff) {
      return await daemonize(args, { logged: config.logdir !== undefined || config.syslog });
    }
    const hook = config.onUpdate ? new UpdateHook(config.onUpdate) : undefined;
    const pidfile = config.pidfile ? await Pidfile.acquire(config.pidfile) : undefined;
    readiness?.ready();
    try {
      return await runDaemon(config, {
        reloadConfig: () => loadConfig(cli),
        sources: async (c) => (await resolveSources(c)).sources,
        sources0: resolved.sources,
        onStaplesChanged: hook && ((paths) => hook.notify(paths)),
      });
    } finally {
      await hook?.close();
      await pidfile?.release();
    }
  } catch (err) {
    if (err instanceof ConfigError) return usageError(err);
    readiness?.failed(1, describeError(err));
    throw err;
  } finally {
    await shutdownLogging();
  }
}

if (import.meta.main) {
  Deno.exit(await entry(Deno.args));
}
