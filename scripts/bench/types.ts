/**
 * What a benchmark is and what it reports: rows of measured values, each
 * with the target it is held to.
 *
 * @module
 */
import type { BenchContext } from "./context.ts";

/** A limit a measured value should respect. */
export interface Target {
  /** `min`: the value should be at least `limit`; `max`: at most. */
  kind: "min" | "max";
  /** The limit, in the row's unit. */
  limit: number;
}

/** One measured value. */
export interface Row {
  /** The benchmark's name. */
  bench: string;
  /** What was measured, e.g. "bundles parsed per second". */
  metric: string;
  /** The value. */
  value: number;
  /** Its unit, e.g. "/s", "ms", "KiB". */
  unit: string;
  /** Decimals to print. @default 0 */
  digits?: number;
  /** The target, if the value is held to one. */
  target?: Target;
}

/** A benchmark `deno task bench --only <name>` can run. */
export interface Benchmark {
  /** Short name for `--only`. */
  name: string;
  /** One line saying what it measures. */
  title: string;
  /** Whether `--quick` leaves it out (it has no small version). */
  skipWhenQuick?: boolean;
  /** Whether it runs only with `--large` or when `--only` names it (it takes many minutes). */
  onlyWhenLarge?: boolean;
  /** Runs it. */
  run(ctx: BenchContext): Promise<Row[]>;
}

/**
 * A target the value must reach.
 *
 * @param limit The smallest acceptable value.
 * @returns The target.
 */
export function atLeast(limit: number): Target {
  return { kind: "min", limit };
}

/**
 * A target the value must not exceed.
 *
 * @param limit The largest acceptable value.
 * @returns The target.
 */
export function atMost(limit: number): Target {
  return { kind: "max", limit };
}

/**
 * Whether a row meets its target.
 *
 * @param row The row.
 * @returns `undefined` when it has none.
 */
export function meetsTarget(row: Row): boolean | undefined {
  if (!row.target) return undefined;
  return row.target.kind === "min" ? row.value >= row.target.limit : row.value <= row.target.limit;
}
