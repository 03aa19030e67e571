/**
 * The command line of `deno task bench`.
 *
 * @module
 */

/** What `deno task bench` was asked to do. */
export interface BenchArgs {
  /** Smaller runs (about a minute). */
  quick: boolean;
  /** Add the 100,000-certificate benchmark. */
  large: boolean;
  /** Benchmark names to run; empty means all. */
  only: string[];
  /** Print the usage and exit. */
  help: boolean;
}

/** The usage text. */
export const USAGE = `Usage: deno task bench [--quick] [--large] [--only NAME[,NAME...]]

  --quick        smaller runs (1,000 certificates instead of 10,000, a 20 s idle window)
  --large        add the 100,000-certificate rows (benchmark "large": many minutes,
                 most of them making the fixtures); --only large runs them alone
  --only NAMES   run only these benchmarks (comma-separated or repeated)
  --help         show this help`;

/**
 * Parses the arguments.
 *
 * @param args The arguments.
 * @param names The known benchmark names.
 * @returns The parsed arguments.
 * @throws {RangeError} For an unknown option or benchmark name.
 *
 * @example
 * ```ts
 * import { parseBenchArgs } from "./args.ts";
 * const args = parseBenchArgs(["--large", "--only", "oneoff,large"], ["oneoff", "large"]);
 * console.assert(args.large && !args.quick && args.only.join() === "oneoff,large");
 * ```
 */
export function parseBenchArgs(args: readonly string[], names: readonly string[]): BenchArgs {
  const out: BenchArgs = { quick: false, large: false, only: [], help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") out.quick = true;
    else if (arg === "--large") out.large = true;
    else if (arg === "--help" || arg === "-h") out.help = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? args[++i] : arg.slice("--only=".length);
      if (!value) throw new RangeError("Cannot parse arguments: --only needs a benchmark name");
      out.only.push(...value.split(",").filter(Boolean));
    } else throw new RangeError(`Cannot parse arguments: unknown option "${arg}"`);
  }
  for (const name of out.only) {
    if (!names.includes(name)) {
      throw new RangeError(
        `Cannot parse arguments: no benchmark "${name}" (known: ${names.join(", ")})`,
      );
    }
  }
  return out;
}
