/**
 * A stapled daemon in a child process (main.ts with the binary's permission
 * flags, `-p <dir>`, default settings unless told otherwise), started over a directory
 * of bundles and watched through its log until every certificate has its
 * staple.
 *
 * @module
 */
import { eachLine, spawnStapled } from "./child.ts";
import type { BenchContext } from "./context.ts";

/** A line the daemon logs once per certificate when its staple is in place. */
const STAPLED_REGEXP = /staple fetched from|existing staple reused/;

/** A running daemon whose certificates are all stapled. */
export interface StapledDaemon {
  /** Its process id. */
  readonly pid: number;
  /** From spawn until the last certificate was stapled, ms. */
  readonly readyMs: number;
  /** Log lines seen so far. */
  readonly logLines: number;
  /** The last log lines, for error messages. */
  readonly tail: readonly string[];
  /** SIGTERM, then SIGKILL after 10 s; resolves to the exit status. */
  stop(): Promise<number>;
}

/**
 * Starts the daemon over `dir` and waits until the log reports a staple for
 * each of its `count` certificates and all `count` staples exist.
 *
 * @param ctx The bench context (scratch directories).
 * @param dir The bundles' directory (staples are removed first).
 * @param count How many bundles it holds.
 * @param extraArgs More stapled arguments (after `-p <dir>`). @default []
 * @param timeoutMs Give up after this long. @default 600000
 * @returns The running daemon.
 * @throws {Error} When it exits or times out first (after stopping it).
 */
export async function startStapledDaemon(
  ctx: BenchContext,
  dir: string,
  count: number,
  extraArgs: readonly string[] = [],
  timeoutMs = 600_000,
): Promise<StapledDaemon> {
  await ctx.removeStaples(dir);
  const home = await ctx.tempDir("home");
  const started = performance.now();
  const child = spawnStapled(["-p", dir, ...extraArgs], { home, stderr: "piped" });
  const tail: string[] = [];
  let stapled = 0;
  let logLines = 0;
  let allLogged: () => void = () => {};
  const logged = new Promise<void>((resolve) => (allLogged = resolve));
  const reading = eachLine(child.stderr, (line) => {
    logLines++;
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (STAPLED_REGEXP.test(line) && ++stapled === count) allLogged();
  });
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
      await status;
      clearTimeout(timer);
    }
    await reading;
    return (await status).code;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    logged.then(() => "stapled"),
    status.then(() => "exited"),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs))),
  ]);
  clearTimeout(timer);
  const readyMs = performance.now() - started;
  const staples = outcome === "stapled" ? await ctx.countStaples(dir) : 0;
  if (outcome !== "stapled" || staples !== count) {
    await stop();
    throw new Error(
      `Cannot start the daemon bench: ${outcome}, ${stapled} of ${count} stapled, ${staples} staples\n${
        tail.join("\n")
      }`,
    );
  }
  return {
    pid: child.pid,
    readyMs,
    get logLines() {
      return logLines;
    },
    tail,
    stop,
  };
}
