/**
 * Runs one `/bin/sh -c` command for `--on-update`: in its own session
 * (through `setsid` when present) so a timeout can kill the whole process
 * group, with its output handed over line by line.
 *
 * @module
 */
import { findSetsid } from "./_setsid.ts";

/**
 * The shell `--on-update` commands run in, by absolute path: stapled may
 * start only this and `setsid` (`./permissions.ts`).
 */
export const SHELL_PATH = "/bin/sh";

/** One run of a shell command. */
export interface ShellRun {
  /** The command, given to `sh -c`. */
  command: string;
  /** Variables added to the inherited environment. */
  env: Record<string, string>;
  /** Kill the command after this many ms. */
  timeoutMs: number;
  /** Receives each line the command prints, without the newline. */
  onLine: (stream: "stdout" | "stderr", line: string) => void;
}

/** How a shell command ended. */
export interface ShellResult {
  /** Its exit status (128 + n when killed by signal n). */
  code: number;
  /** The signal that killed it, if one did. */
  signal: string | null;
  /** Whether it was killed for running longer than the timeout. */
  timedOut: boolean;
}

/** Options of {@linkcode runShell}. */
export interface RunShellOptions {
  /** Time between SIGTERM and SIGKILL after a timeout, in ms. @default 2000 */
  killGraceMs?: number;
  /**
   * How long to keep reading output after the command exited (a background
   * child may hold its pipes open), in ms.
   * @default 1000
   */
  drainMs?: number;
  /** `setsid`, or `null` to run `sh` directly. @default found in /usr/bin or /bin */
  setsid?: string | null;
}

async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  stop: Promise<void>,
): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let stopped = false;
  stop.then(() => {
    stopped = true;
    reader.cancel().catch(() => {});
  });
  try {
    while (!stopped) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) onLine(line.replace(/\r$/, ""));
    }
  } catch {
    // cancelled
  }
  if (buffer !== "") onLine(buffer.replace(/\r$/, ""));
}

/**
 * Runs `sh -c command` to its end, killing it (and its process group) when it
 * runs longer than the timeout: SIGTERM, then SIGKILL after a grace period.
 *
 * Needs `--allow-run` for `setsid` and {@linkcode SHELL_PATH}.
 *
 * @param run The command, its environment, timeout and output handler.
 * @param options Grace periods and `setsid`.
 * @returns How it ended.
 * @throws {Deno.errors.NotFound} When `sh` (or `setsid`) cannot be started.
 *
 * @example Running a command and reading its output
 * ```ts
 * import { runShell } from "./_run_shell.ts";
 * const lines: string[] = [];
 * const result = await runShell({
 *   command: 'echo "$GREETING"',
 *   env: { GREETING: "hello" },
 *   timeoutMs: 5000,
 *   onLine: (_stream, line) => lines.push(line),
 * });
 * console.log(result.code, lines); // 0 ["hello"]
 * ```
 */
export async function runShell(run: ShellRun, options: RunShellOptions = {}): Promise<ShellResult> {
  const { killGraceMs = 2000, drainMs = 1000 } = options;
  const setsid = options.setsid === undefined ? await findSetsid() : options.setsid;
  const child = new Deno.Command(setsid ?? SHELL_PATH, {
    args: setsid ? [SHELL_PATH, "-c", run.command] : ["-c", run.command],
    env: run.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = (signal: Deno.Signal) => {
    try {
      Deno.kill(setsid ? -child.pid : child.pid, signal);
    } catch {
      // already gone
    }
  };
  let stopReading = () => {};
  const stop = new Promise<void>((resolve) => stopReading = resolve);
  const readers = Promise.all([
    pumpLines(child.stdout, (line) => run.onLine("stdout", line), stop),
    pumpLines(child.stderr, (line) => run.onLine("stderr", line), stop),
  ]);
  let timedOut = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    kill("SIGTERM");
    killTimer = setTimeout(() => kill("SIGKILL"), killGraceMs);
  }, run.timeoutMs);
  const status = await child.status;
  clearTimeout(timer);
  clearTimeout(killTimer);
  if (timedOut) kill("SIGKILL");
  const drained = setTimeout(stopReading, drainMs);
  await readers;
  clearTimeout(drained);
  stopReading();
  return { code: status.code, signal: status.signal, timedOut };
}
