/**
 * The daemon's own heap per certificate: a `Daemon` run in this process
 * over 10,000 bundles (default settings, no file watching) until every
 * staple is written, then, once the fetches' 10 s timeout timers have
 * fired, the heap after a full garbage collection minus the heap before it
 * started. This is what the daemon keeps per certificate (entry, bundle,
 * CertCache share, scheduled renewal, scanner fingerprint), without the
 * runtime's own memory that dominates the child's RSS.
 *
 * @module
 */
import { Daemon } from "../../src/daemon/mod.ts";
import { heapAfterGc } from "./heap.ts";
import { atMost, type Benchmark, type Row } from "./types.ts";

/** The in-process daemon heap benchmark. */
export const daemonHeapBenchmark: Benchmark = {
  name: "daemon-heap",
  title: "heap the daemon keeps per certificate (in process)",
  async run(ctx) {
    const count = ctx.quick ? 1_000 : 10_000;
    const dir = await ctx.bundleDir(count);
    await ctx.removeStaples(dir);
    const held: { daemon?: Daemon } = {};
    const before = await heapAfterGc();
    const started = performance.now();
    held.daemon = new Daemon({ sources: [{ paths: [dir] }], watch: false });
    await held.daemon.start();
    const deadline = Date.now() + 600_000;
    while (held.daemon.stats.renewed < count) {
      if (Date.now() > deadline) throw new Error("Cannot measure the daemon heap: timed out");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    ctx.progress(`in-process daemon stapled ${count} certificates in ${seconds.toFixed(1)} s`);
    await new Promise((resolve) => setTimeout(resolve, 11_000)); // fetch timeouts fire
    const stapled = await heapAfterGc();
    await held.daemon.stop();
    held.daemon = undefined;
    const after = await heapAfterGc();
    const bench = "daemon-heap";
    const n = count.toLocaleString("en-US");
    return [
      {
        bench,
        metric: `heap per certificate, ${n} stapled`,
        value: (stapled - before) / count,
        unit: "B",
        target: atMost(4096),
      },
      {
        bench,
        metric: "  heap per certificate left after stop()",
        value: (after - before) / count,
        unit: "B",
      },
    ] satisfies Row[];
  },
};
