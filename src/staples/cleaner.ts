/**
 * Runs {@linkcode removeStapleLeftovers} once per directory over a process's
 * life: the daemon hands it the certificate files of every scan, the one-off
 * those it staples, and each staple directory is swept the first time it is
 * seen.
 *
 * @module
 */
import { type RemoveLeftoversOptions, removeStapleLeftovers } from "./leftovers.ts";
import { dirPrefixOf } from "./_temp.ts";

/**
 * Sweeps each staple directory for leftover temp files the first time one of
 * its files is named.
 *
 * @example Sweep the directories of some staples, each once
 * ```ts
 * import { LeftoverCleaner } from "./cleaner.ts";
 * const dir = await Deno.makeTempDir();
 * const cleaner = new LeftoverCleaner();
 * await cleaner.sweepFor([`${dir}/a.pem.ocsp`, `${dir}/b.pem.ocsp`]);
 * await cleaner.sweepFor([`${dir}/c.pem.ocsp`]); // already swept: nothing done
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class LeftoverCleaner {
  #swept = new Set<string>();
  #options: RemoveLeftoversOptions;

  /** @param options Age threshold and clock for every sweep. */
  constructor(options: RemoveLeftoversOptions = {}) {
    this.#options = options;
  }

  /**
   * Sweeps the directories of `files` not swept before.
   *
   * @param files Staple (or certificate) files; their directories are swept.
   * @returns The temp files removed.
   */
  async sweepFor(files: Iterable<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const file of files) {
      const dir = dirPrefixOf(file).replace(/(.)\/+$/, "$1") || ".";
      if (this.#swept.has(dir)) continue;
      this.#swept.add(dir);
      removed.push(...await removeStapleLeftovers(dir, this.#options));
    }
    return removed;
  }
}
