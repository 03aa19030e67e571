/**
 * Daemonizing (`-D`, `--daemon`): the parent starts this same program again
 * in a new session, detached from the terminal (stdin, stdout and stderr on
 * /dev/null), waits until the child says it runs, and exits.
 *
 * The two halves talk through a file in a private temporary directory whose
 * path the child finds in {@linkcode READY_FILE_ENV}: the child writes
 * `ready <pid>` once it holds its pid file and is about to run the daemon, or
 * `failed <status> <reason>` when it gives up, so the reason reaches the
 * operator's terminal although the child's stderr goes nowhere.
 * {@linkcode daemonize} is the parent's half, {@linkcode takeDaemonReadiness}
 * the child's.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { currentSelfCommand } from "./_self_command.ts";
import { findSetsid } from "./_setsid.ts";

const log = getLogger(["stapled", "main"]);

/** The environment variable naming the child's readiness file. */
export const READY_FILE_ENV = "STAPLED_DAEMON_READY_FILE";

const READY_REGEXP = /^ready (\d+)\s*$/;
const FAILED_REGEXP = /^failed (\d+) (.*)$/s;

/** A started child, as {@linkcode daemonize} sees it. */
export interface DaemonChild {
  /** The pid of the process started (the daemon itself, unless `setsid` forked). */
  readonly pid: number;
  /** Settles when that process exits. */
  readonly status: Promise<{ success: boolean; code: number }>;
  /** Lets this process exit without waiting for the child. */
  unref(): void;
}

/** Options of {@linkcode daemonize}. */
export interface DaemonizeOptions {
  /**
   * Whether the daemon logs somewhere that outlives the terminal
   * (`--logdir` or `--syslog`); when not, a warning says its messages are lost.
   * @default false
   */
  logged?: boolean;
  /** How long to wait for the child to report, in ms. @default 30000 */
  readyTimeoutMs?: number;
  /** How often to look for the child's report, in ms. @default 50 */
  pollIntervalMs?: number;
  /**
   * The command that starts this program again, without its arguments.
   * @default this process's executable and runtime flags (see `_self_command.ts`)
   */
  selfCommand?: () => Promise<string[]>;
  /**
   * `setsid` to start the child through, or `null` to start it directly (it
   * then stays in this session and process group).
   * @default /usr/bin/setsid or /bin/setsid when present, else null
   */
  setsid?: string | null;
  /**
   * Starts the child with stdin, stdout and stderr on /dev/null and `env`
   * added to the environment.
   * @default Deno.Command(...).spawn()
   */
  spawn?: (command: string, args: string[], env: Record<string, string>) => DaemonChild;
  /** Writes an error line for the operator. @default console.error */
  writeError?: (line: string) => void;
  /** The clock, in ms. @default Date.now */
  now?: () => number;
  /** Waits `ms` milliseconds. @default a setTimeout promise */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The child's arguments: `args` without `-D`/`--daemon`, plus `--no-daemon`
 * (last, so it wins over a `-D` folded into other short flags and over
 * `daemon` in a config file).
 *
 * @param args The parent's arguments.
 * @returns The child's arguments.
 *
 * @example
 * ```ts
 * import { daemonChildArgs } from "./daemonize.ts";
 * console.log(daemonChildArgs(["-D", "-p", "/etc/ssl/sites"]));
 * // ["-p", "/etc/ssl/sites", "--no-daemon"]
 * ```
 */
export function daemonChildArgs(args: readonly string[]): string[] {
  return [...args.filter((a) => a !== "-D" && a !== "--daemon"), "--no-daemon"];
}

function spawnDetached(command: string, args: string[], env: Record<string, string>): DaemonChild {
  const child = new Deno.Command(command, {
    args,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return { pid: child.pid, status: child.status, unref: () => child.unref() };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readReport(file: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(file);
  } catch {
    return undefined;
  }
}

/**
 * Starts this program again as a daemon and waits until it runs. The child
 * gets `args` without `-D` plus `--no-daemon`, and {@linkcode READY_FILE_ENV};
 * it must call {@linkcode takeDaemonReadiness} and report. It runs in a new
 * session through util-linux's `setsid` when present, so a Ctrl-C or a closed
 * terminal does not reach it; without `setsid` it is started directly and
 * stays in this session (SIGHUP, which a closing terminal sends, only makes
 * stapled rescan).
 *
 * Needs `--allow-run` for `setsid` (or, without it, for this program's
 * executable), `--allow-read`, `--allow-write` (the temporary directory)
 * and `--allow-env`.
 *
 * @param args This program's arguments (as given to `main`).
 * @param options How to start and wait for the child.
 * @returns The exit status for the parent: 0 when the daemon runs; the
 *   child's own status (2 for a usage error) when it reported a failure,
 *   whose reason was written with `writeError`; 1 when it died or did not
 *   report in time (then it is sent SIGTERM), or could not be started.
 *
 * @example In main, after the configuration was read and checked
 * ```ts
 * import { daemonize } from "./daemonize.ts";
 * async function detach(args: string[], logdir?: string): Promise<number> {
 *   return await daemonize(args, { logged: logdir !== undefined });
 * }
 * ```
 */
export async function daemonize(
  args: readonly string[],
  options: DaemonizeOptions = {},
): Promise<number> {
  const {
    logged = false,
    readyTimeoutMs = 30_000,
    pollIntervalMs = 50,
    selfCommand = currentSelfCommand,
    spawn = spawnDetached,
    writeError = console.error,
    now = Date.now,
    sleep = delay,
  } = options;
  if (!(readyTimeoutMs > 0)) {
    throw new RangeError(`Cannot daemonize: readyTimeoutMs ${readyTimeoutMs} is not positive`);
  }
  if (!logged) {
    log.warn(
      "running in the background without --logdir or --syslog: the daemon's messages will be lost (add -l [DIR] or --syslog)",
    );
  }
  const setsid = options.setsid === undefined ? await findSetsid() : options.setsid;
  const [exe, ...runtime] = await selfCommand();
  const childArgs = [...runtime, ...daemonChildArgs(args)];
  const dir = await Deno.makeTempDir({ prefix: "stapled-daemon-" });
  const file = `${dir}/ready`;
  try {
    let child: DaemonChild;
    try {
      child = setsid
        ? spawn(setsid, [exe, ...childArgs], { [READY_FILE_ENV]: file })
        : spawn(exe, childArgs, { [READY_FILE_ENV]: file });
    } catch (err) {
      let reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
      if (err instanceof Deno.errors.NotCapable && !setsid) {
        reason = "setsid was not found in /usr/bin or /bin, and stapled may start no other " +
          "program to detach (install util-linux, or run it in the foreground under a service manager)";
      }
      writeError(`stapled: cannot start the daemon (${setsid ?? exe}): ${reason}`);
      return 1;
    }
    child.unref();
    if (!setsid) log.debug("setsid not found: the daemon stays in this session");
    let exited: { success: boolean; code: number } | undefined;
    child.status.then((s) => exited = s, () => exited = { success: false, code: 1 });
    const deadline = now() + readyTimeoutMs;
    for (;;) {
      const died = exited;
      const report = await readReport(file);
      const ready = report && READY_REGEXP.exec(report);
      if (ready) {
        log.info("stapled runs in the background as pid {pid}", { pid: Number(ready[1]) });
        return 0;
      }
      const failed = report && FAILED_REGEXP.exec(report);
      if (failed) {
        writeError(`stapled: ${failed[2].trim()}`);
        return Number(failed[1]) || 1;
      }
      if (died && !died.success) {
        writeError(
          `stapled: the daemon exited with status ${died.code} while starting; see its log`,
        );
        return 1;
      }
      if (now() >= deadline) {
        try {
          Deno.kill(child.pid, "SIGTERM");
        } catch {
          // already gone
        }
        writeError(
          `stapled: the daemon did not report that it runs within ${
            Math.ceil(readyTimeoutMs / 1000)
          } s; stopped it (see its log)`,
        );
        return 1;
      }
      await sleep(pollIntervalMs);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The child's half of {@linkcode daemonize}: how it reports. */
export interface DaemonReadiness {
  /**
   * Tells the parent the daemon runs; the parent then exits 0.
   *
   * @param pid The daemon's pid. @default Deno.pid
   */
  ready(pid?: number): void;
  /**
   * Tells the parent the daemon could not start; the parent writes `reason`
   * and exits with `status`.
   *
   * @param status The exit status for the parent (2: usage or configuration).
   * @param reason One line for the operator.
   */
  failed(status: number, reason: string): void;
}

/** Options of {@linkcode takeDaemonReadiness}. */
export interface TakeDaemonReadinessOptions {
  /** Where {@linkcode READY_FILE_ENV} is read and then deleted. @default Deno.env */
  env?: { get(name: string): string | undefined; delete(name: string): void };
}

/**
 * In a child started by {@linkcode daemonize}: takes the readiness file from
 * the environment (deleting the variable, so commands the daemon runs do not
 * see it) and returns how to report. Only the first report counts; writing
 * errors are ignored (the parent then times out).
 *
 * @param options Where the environment is.
 * @returns The reporter, or `undefined` when this process was not started by
 *   `daemonize`.
 *
 * @example At the top of main
 * ```ts
 * import { takeDaemonReadiness } from "./daemonize.ts";
 * const readiness = takeDaemonReadiness(); // undefined unless started by -D
 * // ... once the pid file is written, before running the daemon:
 * readiness?.ready();
 * // ... or, on a configuration error:
 * // readiness?.failed(2, "why");
 * ```
 */
export function takeDaemonReadiness(
  options: TakeDaemonReadinessOptions = {},
): DaemonReadiness | undefined {
  const { env = Deno.env } = options;
  const file = env.get(READY_FILE_ENV);
  if (!file) return undefined;
  env.delete(READY_FILE_ENV);
  let reported = false;
  const write = (text: string) => {
    if (reported) return;
    reported = true;
    try {
      Deno.writeTextFileSync(`${file}.tmp`, text);
      Deno.renameSync(`${file}.tmp`, file);
    } catch {
      // the parent is gone or its directory removed: nothing to tell
    }
  };
  return {
    ready: (pid = Deno.pid) => write(`ready ${pid}\n`),
    failed: (status, reason) =>
      write(`failed ${Math.trunc(status) || 1} ${reason.split("\n")[0]}\n`),
  };
}
