/**
 * One-off mode end to end: `stapled --one-off -p <dir> -t <n>` (main.ts in
 * a child process with the binary's permission flags) over directories of
 * 1,000 and 10,000 bundles (`--quick`: 500 and 1,000), against the
 * pre-signed responder in this process. For each size, in this order, on
 * the same directory:
 *
 * 1. cold, `-t 2` (not with `--quick`) and `-t 16`: no staple on disk, a
 *    fresh empty `--state-dir` (nothing remembered);
 * 2. warm, `-t 16`: every staple on disk valid and reused, the state
 *    directory of the `-t 16` cold run (so its state file is used);
 * 3. cold with the state kept, `-t 16`: the staples removed, the same
 *    state directory (the bundles are known from the earlier runs).
 *
 * Each reports wall time from spawn to exit (Deno's start-up included),
 * the child's peak RSS (VmHWM, sampled every 20 ms) and CPU time (user +
 * system, all threads, as last sampled) and CPU per certificate, split
 * (except for `-t 2`) into the child's JS thread, its other threads and the
 * kernel, with the CPU the responder (this process) used meanwhile. The
 * targets are issue 13's: at 10,000, cold `-t 16` at most 10 s and 200
 * MiB, warm at most 2 s and 150 MiB; at 1,000 and more, at most 0.6 ms of
 * CPU per certificate cold and 0.15 ms warm. The directory is left warm
 * for the benchmarks after it ({@linkcode BenchContext.markWarm}).
 *
 * @module
 */
import { type FinishedRun, runStapledToExit } from "./child.ts";
import type { BenchContext } from "./context.ts";
import { cpuSeconds } from "./proc.ts";
import { atLeast, atMost, type Benchmark, type Row, type Target } from "./types.ts";

const MIB = 2 ** 20;
const BENCH = "oneoff";

/** Issue 13's targets, by kind of run. */
const TARGETS = {
  cold: { wallS: 10, rssMib: 200, cpuMs: 0.6 },
  warm: { wallS: 2, rssMib: 150, cpuMs: 0.15 },
} as const;

/** One run of the sequence. */
interface Step {
  /** What the row says. */
  label: string;
  /** `-t`. */
  threads: number;
  /** Which targets hold it (the first `-t 2` cold run keeps its older ones). */
  kind: "cold" | "warm" | "cold-t2";
  /** Remove the staples first. */
  removeStaples: boolean;
  /** The state directory: a fresh one, or the one of the previous `fresh` step. */
  state: "fresh" | "kept";
  /** Staples the responder should serve: all, or none. */
  fetches: "all" | "none";
}

const STEPS: readonly Step[] = [
  {
    label: "cold, -t 2",
    threads: 2,
    kind: "cold-t2",
    removeStaples: true,
    state: "fresh",
    fetches: "all",
  },
  {
    label: "cold, -t 16",
    threads: 16,
    kind: "cold",
    removeStaples: true,
    state: "fresh",
    fetches: "all",
  },
  {
    label: "warm (all reused, state file), -t 16",
    threads: 16,
    kind: "warm",
    removeStaples: false,
    state: "kept",
    fetches: "none",
  },
  {
    label: "cold, staples removed, state kept, -t 16",
    threads: 16,
    kind: "cold",
    removeStaples: true,
    state: "kept",
    fetches: "all",
  },
];

/**
 * Where the CPU per certificate went: the child's JS thread, its other
 * threads (Deno runs WebCrypto's signature checks and file operations on a
 * blocking pool), the kernel; and the responder's, in this process.
 */
function splitRows(run: FinishedRun, count: number): Row[] {
  const perCert = (seconds: number) => seconds * 1000 / count;
  const row = (metric: string, seconds: number): Row => ({
    bench: BENCH,
    metric,
    value: perCert(seconds),
    unit: "ms",
    digits: 2,
  });
  return [
    row("    of which JS thread, user", run.cpu.mainUser),
    row(
      "    of which other threads, user (WebCrypto, file ops, GC)",
      run.cpu.user - run.cpu.mainUser,
    ),
    row("    of which system (kernel), all threads", run.cpu.system),
  ];
}

function rowsOf(step: Step, count: number, run: FinishedRun, fetched: number): Row[] {
  const what = `${count.toLocaleString("en-US")} certs, ${step.label}`;
  const at10k = count >= 10_000;
  const judged = step.kind === "cold-t2" ? undefined : TARGETS[step.kind];
  const target = (limit: number | undefined, when: boolean): Target | undefined =>
    limit !== undefined && when ? atMost(limit) : undefined;
  const rows: Row[] = [
    {
      bench: BENCH,
      metric: `${what}: wall time`,
      value: run.wallMs / 1000,
      unit: "s",
      digits: 1,
      target: target(judged?.wallS, at10k),
    },
    {
      bench: BENCH,
      metric: "  certificates per second",
      value: count / (run.wallMs / 1000),
      unit: "/s",
      target: step.kind === "cold-t2" ? atLeast(100) : undefined,
    },
    {
      bench: BENCH,
      metric: "  peak RSS (VmHWM)",
      value: run.peakRss / MIB,
      unit: "MiB",
      target: step.kind === "cold-t2" ? atMost(256) : target(judged?.rssMib, at10k),
    },
    {
      bench: BENCH,
      metric: "  CPU time (user + system)",
      value: run.cpuSeconds,
      unit: "s",
      digits: 1,
    },
    {
      bench: BENCH,
      metric: "  CPU per certificate",
      value: run.cpuSeconds * 1000 / count,
      unit: "ms",
      digits: 2,
      target: target(judged?.cpuMs, count >= 1_000),
    },
  ];
  if (step.kind !== "cold-t2") rows.push(...splitRows(run, count));
  if (step.fetches === "none") {
    rows.push({
      bench: BENCH,
      metric: "  staples fetched (all should be reused)",
      value: fetched,
      unit: "",
      target: atMost(0),
    });
  }
  return rows;
}

async function runSequence(ctx: BenchContext, count: number, home: string): Promise<Row[]> {
  const dir = await ctx.bundleDir(count);
  const rows: Row[] = [];
  let stateDir = "";
  for (const step of STEPS) {
    if (ctx.quick && step.kind === "cold-t2") continue;
    if (step.removeStaples) await ctx.removeStaples(dir);
    if (step.state === "fresh") stateDir = await ctx.tempDir("state");
    const served = ctx.responder().served;
    const args = ["--one-off", "-p", dir, "-t", String(step.threads), "--state-dir", stateDir];
    const benchCpu = await cpuSeconds("self");
    const run = await runStapledToExit(args, { home, stderr: "piped" });
    const responderCpu = await cpuSeconds("self") - benchCpu;
    const staples = await ctx.countStaples(dir);
    const fetched = ctx.responder().served - served;
    const what = `${count.toLocaleString("en-US")} certs, ${step.label}`;
    if (run.code !== 0 || staples !== count || (step.fetches === "all" && fetched < count)) {
      throw new Error(
        `Cannot measure one-off ${what}: exit ${run.code}, ${staples} of ${count} staples, ` +
          `${fetched} fetched; its last log lines:\n${run.tail.join("\n")}`,
      );
    }
    rows.push(...rowsOf(step, count, run, fetched));
    if (step.fetches === "all" && step.kind !== "cold-t2") {
      rows.push({
        bench: BENCH,
        metric: "  the responder's CPU per certificate (the bench process, same 2 cores)",
        value: responderCpu * 1000 / count,
        unit: "ms",
        digits: 2,
      });
    }
    ctx.progress(`one-off ${what} done in ${(run.wallMs / 1000).toFixed(1)} s`);
  }
  // The last run fetched every staple and recorded it in stateDir.
  ctx.markWarm(dir, stateDir);
  return rows;
}

/** The one-off benchmark. */
export const oneOffBenchmark: Benchmark = {
  name: "oneoff",
  title: "stapled --one-off end to end: cold, warm, and cold with the state kept",
  async run(ctx) {
    const counts = ctx.quick ? [500, 1_000] : [1_000, 10_000];
    const home = await ctx.tempDir("home");
    await runStapledToExit(["--help"], { home }); // compiles the modules into Deno's cache
    const rows: Row[] = [];
    for (const count of counts) rows.push(...await runSequence(ctx, count, home));
    return rows;
  },
};
