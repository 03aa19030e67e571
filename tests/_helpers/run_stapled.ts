/**
 * Runs `main.ts` in a child process with exactly the permission flags the
 * compiled binary carries, so a missing permission fails the tests.
 *
 * @module
 */
import { RUNTIME_PERMISSIONS } from "../../src/service/permissions.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What a stapled run printed and returned. */
export interface StapledRun {
  /** Exit status. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * `--state-dir ""` (no state file) unless `args` name a state directory, so
 * tests never write the default `/var/lib/stapled/state.json`.
 */
function noStateDir(args: readonly string[]): string[] {
  return args.some((a) => a.startsWith("--state-dir")) ? [] : ["--state-dir", ""];
}

/**
 * Runs stapled to completion. Unless `args` name a `--state-dir`, it keeps
 * no state file.
 *
 * @param args Its arguments.
 * @param options Environment and working directory.
 * @returns Exit status and output.
 */
export async function runStapled(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<StapledRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUNTIME_PERMISSIONS, MAIN, ...args, ...noStateDir(args)],
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/**
 * Starts stapled as a long-running child process. Unless `args` name a
 * `--control-socket`, the daemon gets none (an empty value turns it off), so
 * daemons of tests running in parallel never compete for the default
 * `/run/stapled/control.sock`.
 *
 * @param args Its arguments.
 * @param options Environment and working directory.
 * @returns The child (stdout and stderr piped).
 */
export function spawnStapled(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Deno.ChildProcess {
  const own = args.some((a) => a.startsWith("--control-socket"));
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...RUNTIME_PERMISSIONS,
      MAIN,
      ...args,
      ...(own ? [] : ["--control-socket", ""]),
      ...noStateDir(args),
    ],
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Stops a stapled child (SIGTERM), waits for it and for its output readers.
 *
 * @param child The child.
 * @param readers What reads its output (their `done` promises are awaited).
 * @returns Its exit status.
 */
export async function stopStapled(
  child: Deno.ChildProcess,
  readers: Array<{ done: Promise<void> }> = [],
): Promise<number> {
  try {
    child.kill("SIGTERM");
  } catch { /* already gone */ }
  const status = await child.status;
  await Promise.all(readers.map((r) => r.done));
  return status.code;
}
