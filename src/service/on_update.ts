/**
 * `--on-update CMD`: runs a shell command after a batch of staples changed
 * (e.g. `systemctl reload nginx`, since nginx reads `ssl_stapling_file` only
 * when it loads). Never two runs at once: changes that arrive while the
 * command runs are collected and handed to one more run after it. The
 * command's output goes to the log; a failure or timeout is logged, never
 * thrown.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { describeError } from "../errors/mod.ts";
import { runShell, type ShellResult, type ShellRun } from "./_run_shell.ts";

export type { ShellResult, ShellRun };

const log = getLogger(["stapled", "on-update"]);

/** The variable holding the changed certificate paths, one per line. */
export const UPDATED_ENV = "STAPLED_UPDATED";
/** The variable holding how many certificate paths changed. */
export const UPDATED_COUNT_ENV = "STAPLED_UPDATED_COUNT";

/** Options of {@linkcode UpdateHook}. */
export interface UpdateHookOptions {
  /** Kill the command after this many ms. @default 60000 */
  timeoutMs?: number;
  /**
   * Runs one command.
   * @default `sh -c` in its own session, output line by line (`_run_shell.ts`)
   */
  run?: (run: ShellRun) => Promise<ShellResult>;
}

/**
 * Runs the `--on-update` command for batches of changed staples, one run at
 * a time.
 *
 * @example Wiring it to the daemon and to one-off mode
 * ```ts
 * import { UpdateHook } from "./on_update.ts";
 * const dir = await Deno.makeTempDir();
 * // e.g. "systemctl reload nginx"; here the changed paths are written to a file.
 * const hook = new UpdateHook(`printf '%s' "$STAPLED_UPDATED" > ${dir}/updated`);
 * // daemon: runDaemon(config, { ..., onStaplesChanged: (paths) => hook.notify(paths) });
 * hook.notify(["/etc/ssl/a.pem"]); // one-off: the certificates whose staple was written
 * await hook.close(); // waits for the run
 * console.log(await Deno.readTextFile(`${dir}/updated`)); // "/etc/ssl/a.pem"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class UpdateHook {
  #command: string;
  #timeoutMs: number;
  #run: (run: ShellRun) => Promise<ShellResult>;
  #pending = new Set<string>();
  #running: Promise<void> | undefined;
  #closed = false;

  /**
   * @param command The shell command (`sh -c`).
   * @param options Timeout and runner.
   * @throws {RangeError} When the command is empty or the timeout not positive.
   */
  constructor(command: string, options: UpdateHookOptions = {}) {
    const { timeoutMs = 60_000, run = runShell } = options;
    if (command.trim() === "") throw new RangeError("Cannot run --on-update: the command is empty");
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot run --on-update: timeout ${timeoutMs} ms is not positive`);
    }
    this.#command = command;
    this.#timeoutMs = timeoutMs;
    this.#run = run;
  }

  /**
   * Asks for a run for these changed certificate paths: it starts now when
   * the command is idle, else once after the current run, together with any
   * other paths notified meanwhile. Does nothing after {@linkcode close} or
   * for no paths. Never throws.
   *
   * @param paths The certificates whose staples changed.
   */
  notify(paths: readonly string[]): void {
    if (this.#closed || paths.length === 0) return;
    for (const path of paths) this.#pending.add(path);
    this.#running ??= this.#drain();
  }

  /**
   * Resolves when no run is in progress or queued.
   *
   * @returns When idle.
   */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  /**
   * Accepts no more notifications and waits for the current run and the
   * queued one, if any (each bounded by the timeout).
   *
   * @returns When idle.
   */
  close(): Promise<void> {
    this.#closed = true;
    return this.idle();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.size > 0) {
        const batch = [...this.#pending];
        this.#pending.clear();
        await this.#runOnce(batch);
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #runOnce(paths: string[]): Promise<void> {
    const command = this.#command;
    log.info("running the --on-update command for {count} changed staple(s): {command}", {
      count: paths.length,
      command,
    });
    let result: ShellResult;
    try {
      result = await this.#run({
        command,
        env: { [UPDATED_ENV]: paths.join("\n"), [UPDATED_COUNT_ENV]: String(paths.length) },
        timeoutMs: this.#timeoutMs,
        onLine: (stream, line) => {
          if (stream === "stdout") log.info("--on-update: {line}", { line });
          else log.warn("--on-update: {line}", { line });
        },
      });
    } catch (err) {
      log.error("the --on-update command could not be run: {error}", {
        error: describeError(err),
      });
      return;
    }
    if (result.timedOut) {
      log.error("the --on-update command ran longer than {seconds} s and was killed: {command}", {
        seconds: this.#timeoutMs / 1000,
        command,
      });
    } else if (result.signal !== null) {
      log.error("the --on-update command was killed by {signal}: {command}", {
        signal: result.signal,
        command,
      });
    } else if (result.code !== 0) {
      log.error("the --on-update command failed with exit status {code}: {command}", {
        code: result.code,
        command,
      });
    } else {
      log.debug("the --on-update command finished: {command}", { command });
    }
  }
}
