/**
 * `deno task bench`: stapled's speed and memory targets, measured. Runs the
 * benchmarks of `scripts/bench/` (all, or those named by `--only`), prints
 * a table of measured values, each with its target and whether it was met,
 * and exits 0 when every benchmark ran (1 when one failed to run; a missed
 * target is reported, not fatal). See BENCHMARKS.md.
 *
 * It re-runs itself with `--v8-flags=--expose-gc` when started without it,
 * so heap figures are taken after a full garbage collection.
 *
 * @module
 */
import { parseBenchArgs, USAGE } from "./bench/args.ts";
import { BENCHMARKS } from "./bench/benchmarks.ts";
import { BenchContext } from "./bench/context.ts";
import { canForceGc } from "./bench/heap.ts";
import { formatTable } from "./bench/table.ts";
import { meetsTarget, type Row } from "./bench/types.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function respawnWithGc(args: string[]): Promise<number> {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      "--config",
      `${ROOT}deno.json`,
      new URL(import.meta.url).pathname,
      ...args,
    ],
    cwd: ROOT,
    env: { STAPLED_BENCH_RESPAWNED: "1" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return code;
}

async function describeMachine(dir: string): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1];
  const fs = await new Deno.Command("stat", { args: ["-f", "-c", "%T", dir], stdout: "piped" })
    .output().then((o) => new TextDecoder().decode(o.stdout).trim(), () => "?");
  const memory = (Deno.systemMemoryInfo().total / 2 ** 30).toFixed(0);
  return `${new Date().toISOString()}; ${navigator.hardwareConcurrency} x ${
    cpu ?? "?"
  }, ${memory} GiB; ` +
    `Linux ${Deno.osRelease()}; deno ${Deno.version.deno} (V8 ${Deno.version.v8}); scratch on ${fs}`;
}

/**
 * Runs the benchmarks.
 *
 * @param args The command line.
 * @returns The exit status.
 */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseBenchArgs(args, BENCHMARKS.map((b) => b.name));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    console.log(
      `${USAGE}\n\nBenchmarks:\n${
        BENCHMARKS.map((b) => `  ${b.name.padEnd(12)} ${b.title}`).join("\n")
      }`,
    );
    return 0;
  }
  if (!canForceGc()) {
    if (Deno.env.get("STAPLED_BENCH_RESPAWNED")) {
      console.error("bench: gc() is not exposed even with --v8-flags=--expose-gc");
      return 1;
    }
    return await respawnWithGc(args);
  }
  const selected = BENCHMARKS.filter((b) =>
    parsed.only.length
      ? parsed.only.includes(b.name)
      : !(parsed.quick && b.skipWhenQuick) && !(b.onlyWhenLarge && !parsed.large)
  );
  const ctx = await BenchContext.create({ quick: parsed.quick });
  const rows: Row[] = [];
  let failed = 0;
  const started = performance.now();
  console.log(
    `stapled benchmarks${parsed.quick ? " (--quick)" : ""}${
      parsed.large ? " (--large)" : ""
    }: ${await describeMachine(ctx.root)}`,
  );
  try {
    for (const bench of selected) {
      console.error(`- ${bench.name}: ${bench.title}`);
      const t0 = performance.now();
      try {
        rows.push(...await bench.run(ctx));
        console.error(
          `  .. ${bench.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
      } catch (err) {
        failed++;
        console.error(`  !! ${bench.name} failed: ${(err as Error).stack ?? err}`);
      }
    }
  } finally {
    await ctx.close();
  }
  const judged = rows.filter((r) => r.target);
  const met = judged.filter((r) => meetsTarget(r)).length;
  console.log(`\n${formatTable(rows)}\n`);
  console.log(
    `${met} of ${judged.length} targets met; ${failed} benchmark(s) failed to run; ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s in all`,
  );
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
