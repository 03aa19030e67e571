/**
 * Memory V8 does not give back on its own soon enough. Each certificate
 * read in full leaves a `node:crypto` X509Certificate whose parsed form
 * (about 4 KB) lives outside the JavaScript heap and is freed only by a
 * full garbage collection; with a small heap V8 rarely runs one, so reading
 * 10,000 certificates grew the RSS by 40 MB, and an idle daemon kept it. A
 * warm start reads nothing in full, but each certificate recalled from the
 * state file leaves garbage in the heap (about 1.3 KB): over 100,000
 * certificates V8 let the heap grow to twice what stays alive, and an idle
 * daemon, allocating nothing, never collected it, nor compacted the pages
 * it leaves half empty. A staple fetched, validated and written leaves
 * about 30 KB of garbage (the response's asn1js tree, the fetch's buffers)
 * that survives the young generation while 16 are in flight: a cold
 * one-off over 10,000 certificates whose bundles the state file knew grew
 * to 272 MiB before V8 collected it. When the runtime exposes `gc()`
 * (`--expose-gc`, one of stapled's runtime flags), a full collection runs
 * after every 1,000 certificates read or staples fetched and every 25,000
 * recalled (tens of milliseconds each),
 * and when a burst of work ends (the first pass) a thorough one that also
 * compacts the heap and returns its free pages to the system (about 0.2 s
 * over 100,000 certificates; a warm daemon's RSS at idle 396 -> about 250
 * MB). Without `gc()`, nothing happens.
 *
 * @module
 */

/** What a certificate recalled from the state file counts for. */
const RECALL = 1;
/** What a certificate read in full counts for. */
const READ = 25;
/** What a staple fetched, validated and written counts for. */
const FETCH = 25;
/** Counted work between two collections: 1,000 reads or fetches, or 25,000 recalls. */
const EVERY = 25_000;

/** The options of V8's `gc()` for a collection of everything it can, compacting the heap. */
const THOROUGH = { type: "major", execution: "sync", flavor: "last-resort" } as const;

/** A full collection: the runtime's `gc()`, which takes options (a plain one without). */
export type Collect = (options?: typeof THOROUGH) => void;

/** Counts certificate reads and recalls and collects at the right moments. */
export class NativeMemory {
  #sinceCollect = 0;
  #collect: Collect | undefined;

  /** @param collect A full collection. @default the runtime's `gc()`, when exposed */
  constructor(collect = (globalThis as { gc?: Collect }).gc) {
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
   * memory.settled(); // and once more, thoroughly
   * ```
   */
  read(): void {
    this.#add(READ);
  }

  /** A new staple was fetched, validated and written. */
  fetched(): void {
    this.#add(FETCH);
  }

  /** A certificate was recalled from the state file, unread. */
  recalled(): void {
    this.#add(RECALL);
  }

  /**
   * A burst of work ended (the daemon's first pass): a thorough collection,
   * whatever was done since the last (its garbage need not come from reads).
   */
  settled(): void {
    this.#sinceCollect = 0;
    this.#collect?.(THOROUGH);
  }

  #add(work: number): void {
    this.#sinceCollect += work;
    if (this.#sinceCollect < EVERY) return;
    this.#sinceCollect = 0;
    this.#collect?.();
  }
}
