/**
 * The pid file (`--pidfile FILE`): written atomically by the process that
 * runs the daemon, refused while it names a running stapled, replaced when
 * stale, and removed again on a clean exit.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ConfigError, describeError } from "../errors/mod.ts";
import { inspectProcess, type ProcessState } from "./_proc.ts";

const log = getLogger(["stapled", "pidfile"]);

const PID_REGEXP = /^\s*([1-9][0-9]{0,9})\s*$/;
const STAPLED_REGEXP = /stapled/i;
const DENO_REGEXP = /^deno$/;
const SCRIPT_REGEXP = /stapled.*\.[jt]s$/i;

/** Options of {@linkcode Pidfile.acquire}. */
export interface AcquirePidfileOptions {
  /** The pid to write. @default Deno.pid */
  pid?: number;
  /**
   * Tells whether a pid runs and with which arguments.
   * @default reads `/proc/<pid>/stat` and `cmdline` (through `cat`)
   */
  inspect?: (pid: number) => Promise<ProcessState>;
  /**
   * Arguments that mark a process as this program, besides any argument
   * containing "stapled": the main module's path when running from source,
   * the executable when compiled.
   * @default this process's main module path and executable
   */
  marks?: readonly string[];
}

function defaultMarks(): string[] {
  const marks = [Deno.execPath()];
  if (Deno.mainModule.startsWith("file:")) {
    marks.push(decodeURIComponent(new URL(Deno.mainModule).pathname));
  }
  return marks.filter((m) => !DENO_REGEXP.test(m.replace(/^.*\//, "")));
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

/**
 * A pid file this process holds. Get one with {@linkcode Pidfile.acquire};
 * call {@linkcode Pidfile.release} when the daemon stops.
 *
 * @example Holding the pid file while the daemon runs
 * ```ts
 * const pidfile = await Pidfile.acquire("/run/stapled.pid");
 * try {
 *   await runDaemon(config, hooks);
 * } finally {
 *   await pidfile.release();
 * }
 * ```
 */
export class Pidfile {
  /** The file. */
  readonly path: string;
  /** The pid written into it. */
  readonly pid: number;
  #released = false;

  private constructor(path: string, pid: number) {
    this.path = path;
    this.pid = pid;
  }

  /**
   * Writes `pid` to `path` atomically and exclusively: the text goes to a
   * temporary file first, which is then hard-linked to `path` (failing when
   * another process got there first) or, where hard links are not supported,
   * renamed over it. An existing file naming a running stapled is an error;
   * one naming a dead pid, another program, this process or no pid at all is
   * stale and replaced, with an info line.
   *
   * Needs `--allow-read` and `--allow-write` for the file's directory, and
   * `--allow-run` to look at the pid found in an existing file.
   *
   * @param path The pid file.
   * @param options The pid and how to look at other processes.
   * @returns The held pid file.
   * @throws {ConfigError} "already running as pid N" when the file names a
   *   running stapled, or when the file cannot be written (exit status 2).
   */
  static async acquire(path: string, options: AcquirePidfileOptions = {}): Promise<Pidfile> {
    const { pid = Deno.pid, inspect = inspectProcess, marks = defaultMarks() } = options;
    const temp = `${path}.${pid}.tmp`;
    try {
      await Deno.writeTextFile(temp, `${pid}\n`, { mode: 0o644 });
    } catch (err) {
      throw new ConfigError(path, `cannot write the pid file: ${firstLine(err)}`, { cause: err });
    }
    try {
      for (let attempt = 0;; attempt++) {
        await clearStale(path, pid, inspect, marks);
        try {
          await Deno.link(temp, path);
          return new Pidfile(path, pid);
        } catch (err) {
          if (err instanceof Deno.errors.AlreadyExists) {
            if (attempt < 3) continue;
            throw new ConfigError(
              path,
              "cannot write the pid file: another process keeps creating it",
            );
          }
          if (err instanceof Deno.errors.NotCapable) throw err;
          await Deno.rename(temp, path);
          return new Pidfile(path, pid);
        }
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(path, `cannot write the pid file: ${firstLine(err)}`, { cause: err });
    } finally {
      await Deno.remove(temp).catch(() => {});
    }
  }

  /**
   * Removes the file if it still holds this pid. Never throws; a failure is
   * logged as a warning. Calling it again does nothing.
   *
   * @returns When done.
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      const text = await Deno.readTextFile(this.path);
      if (PID_REGEXP.exec(text)?.[1] !== String(this.pid)) {
        log.warn("{path} now names another process; left in place", { path: this.path });
        return;
      }
      await Deno.remove(this.path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      log.warn("cannot remove the pid file {path}: {error}", {
        path: this.path,
        error: describeError(err),
      });
    }
  }
}

/** Throws when `path` names a running stapled; removes it when stale. */
async function clearStale(
  path: string,
  self: number,
  inspect: (pid: number) => Promise<ProcessState>,
  marks: readonly string[],
): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  const match = PID_REGEXP.exec(text);
  const pid = match ? Number(match[1]) : undefined;
  let why: string;
  if (pid === undefined) why = "it holds no pid";
  else if (pid === self) why = `pid ${pid} is this process`;
  else {
    const state = await inspect(pid);
    if (state.running && isStapled(state.argv, marks)) {
      throw new ConfigError(
        path,
        `already running as pid ${pid} (stop it first, or remove the pid file if that is not stapled)`,
      );
    }
    why = state.running ? `pid ${pid} is another program` : `pid ${pid} is not running`;
  }
  log.info("replacing the stale pid file {path}: {why}", { path, why });
  await Deno.remove(path).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

/**
 * Whether a process's arguments look like stapled's: its executable's name
 * contains "stapled", it was given one of `marks` (a relative argument such
 * as `main.ts` matches a mark ending in `/main.ts`: `deno task start` passes
 * the main module relative to the checkout), or it is deno running a script
 * whose path contains "stapled". Unknown arguments are assumed to.
 */
function isStapled(argv: readonly string[] | undefined, marks: readonly string[]): boolean {
  if (argv === undefined || argv.length === 0) return true;
  const exe = argv[0].replace(/^.*\//, "");
  const named = (arg: string) =>
    marks.some((mark) =>
      mark === arg || (!arg.startsWith("/") && mark.endsWith(`/${arg.replace(/^\.\//, "")}`))
    );
  if (STAPLED_REGEXP.test(exe) || argv.some(named)) return true;
  return DENO_REGEXP.test(exe) && argv.some((arg) => SCRIPT_REGEXP.test(arg));
}
