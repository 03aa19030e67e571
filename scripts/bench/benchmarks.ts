/**
 * Every benchmark of `deno task bench`, in the order they run.
 *
 * @module
 */
import type { Benchmark } from "./types.ts";
import { parseBenchmark } from "./parse_bench.ts";
import { validateBenchmark } from "./validate_bench.ts";
import { schedulerBenchmark } from "./scheduler_bench.ts";
import { finderBenchmark } from "./finder_bench.ts";
import { oneOffBenchmark } from "./one_off_bench.ts";
import { idleBenchmark } from "./idle_bench.ts";
import { daemonMemoryBenchmark } from "./daemon_memory_bench.ts";
import { daemonHeapBenchmark } from "./daemon_heap_bench.ts";
import { respondersBenchmark } from "./responders_bench.ts";
import { daemonWarmBenchmark } from "./daemon_warm_bench.ts";
import { opensslBenchmark } from "./openssl_bench.ts";
import { largeBenchmark } from "./large_bench.ts";

/**
 * The benchmarks, cheapest first; `daemon-warm` right after `oneoff`, whose
 * warm directory it starts from, and `large` (only with `--large`) last.
 */
export const BENCHMARKS: readonly Benchmark[] = [
  parseBenchmark,
  validateBenchmark,
  schedulerBenchmark,
  finderBenchmark,
  oneOffBenchmark,
  daemonWarmBenchmark,
  idleBenchmark,
  daemonMemoryBenchmark,
  daemonHeapBenchmark,
  respondersBenchmark,
  opensslBenchmark,
  largeBenchmark,
];
