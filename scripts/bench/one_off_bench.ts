/**
 * One-off mode end to end: `stapled --one-off -p <dir> -t <n>` (main.ts in
 * a child process with the binary's permission flags) over directories of
 * 1,000 and 10,000 bundles, no staple on disk beforehand, against the
 * pre-signed responder in this process. Wall time from spawn to exit
 * (Deno's start-up included), certificates per second, and the child's peak
 * RSS (VmHWM, sampled every 20 ms) and CPU time.
 *
 * @module
 */
import { runStapledToExit } from "./child.ts";
import { atLeast, atMost, type Benchmark, type Row } from "./types.ts";

const MIB = 2 ** 20;

/** The one-off benchmark. */
export const oneOffBenchmark: Benchmark = {
  name: "oneoff",
  title: "stapled --one-off end to end, from cold",
  async run(ctx) {
    const counts = ctx.quick ? [500] : [1_000, 10_000];
    const home = await ctx.tempDir("home");
    await runStapledToExit(["--help"], { home }); // compiles the modules into Deno's cache
    const rows: Row[] = [];
    for (const count of counts) {
      const dir = await ctx.bundleDir(count);
      for (const threads of [2, 16]) {
        await ctx.removeStaples(dir);
        const served = ctx.responder().served;
        const args = ["--one-off", "-p", dir, "-t", String(threads)];
        const run = await runStapledToExit(args, { home });
        const staples = await ctx.countStaples(dir);
        const fetched = ctx.responder().served - served;
        if (run.code !== 0 || staples !== count) {
          throw new Error(
            `Cannot measure one-off: exit ${run.code}, ${staples} of ${count} staples, ${fetched} fetched`,
          );
        }
        const bench = "oneoff";
        const what = `${count.toLocaleString("en-US")} certs, -t ${threads}`;
        rows.push(
          { bench, metric: `${what}: wall time`, value: run.wallMs / 1000, unit: "s", digits: 1 },
          {
            bench,
            metric: "  certificates per second",
            value: count / (run.wallMs / 1000),
            unit: "/s",
            target: atLeast(100),
          },
          {
            bench,
            metric: "  peak RSS (VmHWM)",
            value: run.peakRss / MIB,
            unit: "MiB",
            target: atMost(256),
          },
          {
            bench,
            metric: "  CPU time (user + system)",
            value: run.cpuSeconds,
            unit: "s",
            digits: 1,
          },
        );
        ctx.progress(`one-off ${what} done in ${(run.wallMs / 1000).toFixed(1)} s`);
      }
    }
    return rows;
  },
};
