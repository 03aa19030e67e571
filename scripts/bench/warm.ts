/**
 * A warm directory of bundles: every staple on disk valid, and a state
 * directory in which stapled recorded having verified each of them, as
 * after a previous run. Taken from an earlier benchmark of the same run
 * when it left one ({@linkcode BenchContext.markWarm}); otherwise made by
 * writing the responder's pre-signed responses as the staples and running
 * one one-off over them with a fresh state directory (it verifies each
 * staple in full and fills the state file; nothing is fetched).
 *
 * @module
 */
import { type FinishedRun, runStapledToExit } from "./child.ts";
import type { BenchContext } from "./context.ts";

/** A warm directory of bundles. */
export interface WarmBundles {
  /** The bundles' directory, each bundle with a valid staple. */
  dir: string;
  /** The state directory that remembers them. */
  stateDir: string;
  /** The one-off that filled the state file, when one had to run. */
  primed?: FinishedRun;
}

/**
 * The shared directory of `count` bundles, made warm if it is not.
 *
 * @param ctx The bench context.
 * @param count How many bundles.
 * @param home A HOME for the priming one-off.
 * @returns The directory and its state directory.
 * @throws {Error} When the priming one-off fails or fetches anything.
 *
 * @example Warm once, then reuse
 * ```ts
 * import { BenchContext } from "./context.ts";
 * import { warmBundles } from "./warm.ts";
 * const ctx = await BenchContext.create({ progress: () => {} });
 * try {
 *   const home = await ctx.tempDir("home");
 *   const warm = await warmBundles(ctx, 3, home);
 *   console.assert(warm.primed?.code === 0 && ctx.warmStateDir(warm.dir) === warm.stateDir);
 *   console.assert((await warmBundles(ctx, 3, home)).primed === undefined);
 * } finally {
 *   await ctx.close();
 * }
 * ```
 */
export async function warmBundles(
  ctx: BenchContext,
  count: number,
  home: string,
): Promise<WarmBundles> {
  const dir = await ctx.bundleDir(count);
  const known = ctx.warmStateDir(dir);
  if (known) return { dir, stateDir: known };
  await ctx.removeStaples(dir);
  await ctx.writeStaples(dir, count);
  const stateDir = await ctx.tempDir("state");
  const served = ctx.responder().served;
  const n = count.toLocaleString("en-US");
  ctx.progress(`priming the state file: one-off over ${n} staples written from the responder`);
  const primed = await runStapledToExit(
    ["--one-off", "-p", dir, "-t", "16", "--state-dir", stateDir],
    { home, stderr: "piped" },
  );
  const fetched = ctx.responder().served - served;
  if (primed.code !== 0 || fetched !== 0) {
    throw new Error(
      `Cannot prime the state of ${n} bundles: exit ${primed.code}, ${fetched} staples fetched ` +
        `(want 0: every staple on disk is valid)\n${primed.tail.join("\n")}`,
    );
  }
  ctx.progress(`primed ${n} in ${(primed.wallMs / 1000).toFixed(1)} s`);
  ctx.markWarm(dir, stateDir);
  return { dir, stateDir, primed };
}
