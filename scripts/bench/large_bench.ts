/**
 * 100,000 certificates, all staples valid (`deno task bench --large`, or
 * `--only large`): issue 13's targets at scale.
 *
 * The fixture: 100,000 leaves and their responses (resigned templates,
 * a few minutes), their bundles, and their responses written straight to
 * disk as the staples (`warm.ts`); one one-off with a fresh state directory
 * then verifies each in full and fills the state file (its time is shown,
 * without a target: it is the "staples on disk, nothing remembered" case).
 * Then, on that warm state:
 *
 * - a one-off, `-t 16`: wall time (target at most 20 s), CPU per
 *   certificate, peak RSS;
 * - a daemon start: until every renewal is scheduled, until idle (under
 *   0.05 CPU-s in 2 s; target at most 30 s), the CPU used by then, and its
 *   RSS at idle (target at most 400 MB, 10^6 bytes, as the issue counts).
 *
 * The bench process holds the 100,000 leaves and responses (some 100 MB);
 * stapled runs in its own process, so that is not in its figures.
 *
 * @module
 */
import { runStapledToExit } from "./child.ts";
import type { BenchContext } from "./context.ts";
import { measureDaemonStart } from "./daemon_start.ts";
import { atLeast, atMost, type Benchmark, type Row } from "./types.ts";
import { warmBundles } from "./warm.ts";

const MIB = 2 ** 20;
const LARGE_COUNT = 100_000;

/**
 * The rows of {@linkcode largeBenchmark} for `count` certificates (its
 * targets are for 100,000; a smaller count checks the sequence works).
 *
 * @param ctx The bench context.
 * @param count How many certificates.
 * @returns The rows.
 * @throws {Error} When a run fails.
 *
 * @example The sequence on three certificates
 * ```ts
 * import { BenchContext } from "./context.ts";
 * import { largeRows } from "./large_bench.ts";
 * const ctx = await BenchContext.create({ progress: () => {} });
 * try {
 *   const rows = await largeRows(ctx, 3);
 *   console.assert(rows.some((r) => r.metric.includes("start to idle")));
 * } finally {
 *   await ctx.close();
 * }
 * ```
 */
export async function largeRows(ctx: BenchContext, count: number): Promise<Row[]> {
  const bench = "large";
  const n = count.toLocaleString("en-US");
  const home = await ctx.tempDir("home");
  await runStapledToExit(["--help"], { home }); // compiles the modules into Deno's cache
  const started = performance.now();
  const warm = await warmBundles(ctx, count, home);
  ctx.progress(
    `${n} warm bundles ready in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  const rows: Row[] = [];
  if (warm.primed) {
    rows.push(
      {
        bench,
        metric: `${n} certs, staples on disk, no state (fills it), -t 16: wall`,
        value: warm.primed.wallMs / 1000,
        unit: "s",
        digits: 1,
      },
      {
        bench,
        metric: "  CPU per certificate",
        value: warm.primed.cpuSeconds * 1000 / count,
        unit: "ms",
        digits: 2,
      },
      { bench, metric: "  peak RSS (VmHWM)", value: warm.primed.peakRss / MIB, unit: "MiB" },
    );
  }

  // Warm one-off.
  let served = ctx.responder().served;
  const run = await runStapledToExit(
    ["--one-off", "-p", warm.dir, "-t", "16", "--state-dir", warm.stateDir],
    { home, stderr: "piped" },
  );
  let fetched = ctx.responder().served - served;
  if (run.code !== 0) {
    throw new Error(
      `Cannot measure the warm one-off of ${n}: exit ${run.code}; its last log lines:\n${
        run.tail.join("\n")
      }`,
    );
  }
  ctx.progress(`warm one-off of ${n} done in ${(run.wallMs / 1000).toFixed(1)} s`);
  rows.push(
    {
      bench,
      metric: `${n} certs, warm (all reused, state file), -t 16: wall`,
      value: run.wallMs / 1000,
      unit: "s",
      digits: 1,
      target: atMost(20),
    },
    {
      bench,
      metric: "  CPU per certificate",
      value: run.cpuSeconds * 1000 / count,
      unit: "ms",
      digits: 2,
    },
    { bench, metric: "  peak RSS (VmHWM)", value: run.peakRss / MIB, unit: "MiB" },
    {
      bench,
      metric: "  staples fetched (all should be reused)",
      value: fetched,
      unit: "",
      target: atMost(0),
    },
  );

  // Daemon start.
  served = ctx.responder().served;
  const start = await measureDaemonStart(warm.dir, count, { stateDir: warm.stateDir, home });
  fetched = ctx.responder().served - served;
  const by = start.scheduledBy === "control socket" ? " (from the control socket)" : "";
  if (start.statusError) ctx.progress(`cannot read its status at idle: ${start.statusError}`);
  ctx.progress(
    `daemon over ${n} warm: idle after ${(start.idleMs / 1000).toFixed(1)} s`,
  );
  rows.push(
    {
      bench,
      metric: `daemon, ${n} valid staples: start to every renewal scheduled${by}`,
      value: start.scheduledMs / 1000,
      unit: "s",
      digits: 1,
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
      metric: "  start to idle (under 0.05 CPU-s in 2 s)",
      value: start.idleMs / 1000,
      unit: "s",
      digits: 1,
      target: atMost(30),
    },
    {
      bench,
      metric: "  CPU time until idle (user + system)",
      value: start.idleCpuS,
      unit: "s",
      digits: 1,
    },
    {
      bench,
      metric: "  RSS at idle",
      value: start.idleMemory.rss / 1e6,
      unit: "MB",
      target: atMost(400),
    },
    { bench, metric: "  peak RSS (VmHWM)", value: start.idleMemory.hwm / 1e6, unit: "MB" },
    {
      bench,
      metric: "  staples fetched (all should be reused)",
      value: fetched,
      unit: "",
      target: atMost(0),
    },
  );
  return rows;
}

/** The 100,000-certificate benchmark. */
export const largeBenchmark: Benchmark = {
  name: "large",
  title: "100,000 valid staples (--large): warm one-off, daemon start to idle, daemon RSS",
  onlyWhenLarge: true,
  run: (ctx) => largeRows(ctx, LARGE_COUNT),
};
