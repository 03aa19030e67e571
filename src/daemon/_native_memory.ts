/**
 * Native memory V8 does not see. Each certificate read in full leaves a
 * `node:crypto` X509Certificate whose parsed form (about 4 KB) lives outside
 * the JavaScript heap and is freed only by a full garbage collection; with a
 * small heap V8 rarely runs one, so reading 10,000 certificates grew the RSS
 * by 40 MB, and an idle daemon kept it. When the runtime exposes `gc()`
 * (`--expose-gc`, one of stapled's runtime flags), a full collection runs
 * after every 1,000 certificates read and when a burst of work ends (about
 * 10 ms each). Without it, nothing happens.
 *
 * @module
 */

/** Certificates read between two collections. */
const EVERY = 1_000;

/** Counts certificate reads and collects at the right moments. */
export class NativeMemory {
  #sinceCollect = 0;
  #collect: (() => void) | undefined;

  /** @param collect A full collection. @default the runtime's `gc()`, when exposed */
  constructor(collect = (globalThis as { gc?: () => void }).gc) {
    this.#collect = collect;
  }

  /** Whether collections happen at all (the runtime exposes `gc()`). */
  get enabled(): boolean {
    return this.#collect !== undefined;
  }

  /**
   * A certificate file was read and parsed.
   *
   * @example
   * ```ts
   * import { NativeMemory } from "./_native_memory.ts";
   * const memory = new NativeMemory();
   * for (let i = 0; i < 2_000; i++) memory.read(); // collects twice when gc() is exposed
   * memory.settled();
   * ```
   */
  read(): void {
    if (++this.#sinceCollect >= EVERY) this.#run();
  }

  /** A burst of work ended (the daemon's first pass): collect if anything was read since the last. */
  settled(): void {
    if (this.#sinceCollect > 0) this.#run();
  }

  #run(): void {
    this.#sinceCollect = 0;
    this.#collect?.();
  }
}
