/**
 * A daemon with 10,000 certificates: time from start until every staple is
 * on disk (default settings: `-t 2`, staples fetched, none on disk before),
 * and its resident memory once they all are.
 *
 * @module
 */
import { startStapledDaemon } from "./daemon_run.ts";
import { procMemory } from "./proc.ts";
import { atMost, type Benchmark, type Row } from "./types.ts";

const MIB = 2 ** 20;

/** The 10,000-certificate daemon benchmark. */
export const daemonMemoryBenchmark: Benchmark = {
  name: "daemon",
  title: "daemon with 10,000 certificates: cold start and RSS",
  skipWhenQuick: true,
  async run(ctx) {
    const count = 10_000;
    const dir = await ctx.bundleDir(count);
    const daemon = await startStapledDaemon(ctx, dir, count);
    try {
      const stapled = await procMemory(daemon.pid);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const settled = await procMemory(daemon.pid);
      const bench = "daemon";
      return [
        {
          bench,
          metric: "daemon start to 10,000 certificates stapled (-t 2)",
          value: daemon.readyMs / 1000,
          unit: "s",
          digits: 1,
        },
        {
          bench,
          metric: "  certificates per second",
          value: count / (daemon.readyMs / 1000),
          unit: "/s",
        },
        {
          bench,
          metric: "RSS when all are stapled",
          value: stapled.rss / MIB,
          unit: "MiB",
          digits: 1,
          target: atMost(256),
        },
        { bench, metric: "  RSS 5 s later", value: settled.rss / MIB, unit: "MiB", digits: 1 },
        { bench, metric: "  peak RSS (VmHWM)", value: settled.hwm / MIB, unit: "MiB", digits: 1 },
      ] satisfies Row[];
    } finally {
      await daemon.stop();
    }
  },
};
