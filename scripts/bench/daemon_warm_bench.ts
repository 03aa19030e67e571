/**
 * A daemon started over 10,000 bundles (`--quick`: 1,000) whose staples
 * are all valid on disk, with the state file of an earlier run (the
 * one-off benchmark's, or one made by `warm.ts`): time from spawn until
 * every certificate's renewal is scheduled (issue 13: at most 3 s at
 * 10,000), the CPU and RSS by then, and the time until it is idle (see
 * `daemon_start.ts` for how both are detected).
 *
 * @module
 */
import { measureDaemonStart } from "./daemon_start.ts";
import { atLeast, atMost, type Benchmark, type Row } from "./types.ts";
import { warmBundles } from "./warm.ts";

const MIB = 2 ** 20;

/** The warm daemon start benchmark. */
export const daemonWarmBenchmark: Benchmark = {
  name: "daemon-warm",
  title: "daemon start over 10,000 valid staples on disk (warm state): until all are scheduled",
  async run(ctx) {
    const count = ctx.quick ? 1_000 : 10_000;
    const home = await ctx.tempDir("home");
    const warm = await warmBundles(ctx, count, home);
    const served = ctx.responder().served;
    const start = await measureDaemonStart(warm.dir, count, { stateDir: warm.stateDir, home });
    const fetched = ctx.responder().served - served;
    const bench = "daemon-warm";
    const n = count.toLocaleString("en-US");
    const by = start.scheduledBy === "control socket" ? " (from the control socket)" : "";
    if (start.statusError) ctx.progress(`cannot read its status at idle: ${start.statusError}`);
    ctx.progress(
      `daemon over ${n} warm: all scheduled after ${(start.scheduledMs / 1000).toFixed(1)} s, ` +
        `idle after ${(start.idleMs / 1000).toFixed(1)} s`,
    );
    return [
      {
        bench,
        metric: `${n} valid staples: start to every renewal scheduled${by}`,
        value: start.scheduledMs / 1000,
        unit: "s",
        digits: 1,
        target: count >= 10_000 ? atMost(3) : undefined,
      },
      {
        bench,
        metric: "  CPU time by then (user + system)",
        value: start.scheduledCpuS,
        unit: "s",
        digits: 1,
      },
      {
        bench,
        metric: "  CPU per certificate",
        value: start.scheduledCpuS * 1000 / count,
        unit: "ms",
        digits: 2,
      },
      {
        bench,
        metric: "  RSS then",
        value: start.scheduledMemory.rss / MIB,
        unit: "MiB",
        digits: 1,
      },
      {
        bench,
        metric: "  staples fetched (all should be reused)",
        value: fetched,
        unit: "",
        target: atMost(0),
      },
      {
        bench,
        metric: "  certificates with a next renewal in its control-socket status",
        value: start.statusScheduled,
        unit: "",
        target: atLeast(count),
      },
      {
        bench,
        metric: "start to idle (under 0.05 CPU-s in 2 s)",
        value: start.idleMs / 1000,
        unit: "s",
        digits: 1,
      },
      {
        bench,
        metric: "  RSS at idle",
        value: start.idleMemory.rss / MIB,
        unit: "MiB",
        digits: 1,
      },
      {
        bench,
        metric: "  peak RSS (VmHWM)",
        value: start.idleMemory.hwm / MIB,
        unit: "MiB",
        digits: 1,
      },
    ] satisfies Row[];
  },
};
