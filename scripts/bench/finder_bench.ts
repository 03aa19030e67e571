/**
 * The finder's rescan: a `CertScanner` over a directory of 10,000
 * certificate bundles (and their 10,000 staples) that do not change. Each
 * rescan must only list and stat; the bytes this process read during the
 * rescans (/proc/self/io `rchar`) show that no file was opened for reading.
 *
 * @module
 */
import { CertScanner } from "../../src/finder/mod.ts";
import { cpuSeconds, procIo, switchDelta, threadSwitches } from "./proc.ts";
import { atMost, type Benchmark, type Row } from "./types.ts";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The finder benchmark. */
export const finderBenchmark: Benchmark = {
  name: "finder",
  title: "rescanning a tree of unchanged certificate files (stat only)",
  async run(ctx) {
    const count = ctx.quick ? 1_000 : 10_000;
    const rescans = ctx.quick ? 3 : 5;
    const pki = await ctx.pki();
    const leaves = await ctx.leaves(count);
    const dir = await ctx.tempDir("finder");
    const staple = crypto.getRandomValues(new Uint8Array(500));
    let treeBytes = 0;
    for (const leaf of leaves) {
      const bundle = new TextEncoder().encode(pki.bundleText(leaf));
      await Deno.writeFile(`${dir}/${leaf.name}.pem`, bundle);
      await Deno.writeFile(`${dir}/${leaf.name}.pem.ocsp`, staple);
      treeBytes += bundle.length + staple.length;
    }
    const scanner = new CertScanner([dir]);
    let started = performance.now();
    const first = await scanner.scan();
    const firstMs = performance.now() - started;
    if (first.added.length !== count) {
      throw new Error(
        `Cannot benchmark the finder: first scan found ${first.added.length} of ${count}`,
      );
    }
    const wall: number[] = [];
    const switches0 = await threadSwitches(Deno.pid);
    const cpu0 = await cpuSeconds("self");
    const io0 = await procIo("self");
    for (let i = 0; i < rescans; i++) {
      started = performance.now();
      const result = await scanner.scan();
      wall.push(performance.now() - started);
      const changes = result.added.length + result.changed.length + result.removed.length;
      if (changes !== 0) {
        throw new Error(`Cannot benchmark the finder: a rescan saw ${changes} changes`);
      }
    }
    const io1 = await procIo("self");
    const cpu1 = await cpuSeconds("self");
    const switches = switchDelta(switches0, await threadSwitches(Deno.pid));
    const bench = "finder";
    const n = count.toLocaleString("en-US");
    return [
      {
        bench,
        metric: `first scan of ${n} certificates (+ ${n} staples)`,
        value: firstMs,
        unit: "ms",
      },
      {
        bench,
        metric: `rescan, nothing changed (median of ${rescans})`,
        value: median(wall),
        unit: "ms",
        target: atMost(500),
      },
      {
        bench,
        metric: "  CPU time per rescan",
        value: ((cpu1 - cpu0) / rescans) * 1000,
        unit: "ms",
      },
      {
        bench,
        metric: "  voluntary context switches per rescan (all threads)",
        value: switches.voluntary / rescans,
        unit: "",
      },
      {
        bench,
        metric: `bytes read per rescan (tree holds ${(treeBytes / 2 ** 20).toFixed(1)} MiB)`,
        value: (io1.rchar - io0.rchar) / rescans,
        unit: "B",
        target: atMost(64 * 1024),
      },
      {
        bench,
        metric: "  read() calls per rescan",
        value: (io1.syscr - io0.syscr) / rescans,
        unit: "",
      },
    ] satisfies Row[];
  },
};
