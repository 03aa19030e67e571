/**
 * The scanner's memory: per file path, only its fingerprint (mtime, size,
 * inode, device) in flat typed arrays, plus a pass mark to notice removals.
 * About 40 bytes per file besides the path string and its map entry, so
 * 100,000 files fit in a few megabytes.
 *
 * @module
 */

import type { FoundFile } from "./types.ts";

/** A file's fingerprint: what changes when its contents are replaced. */
export type Fingerprint = Omit<FoundFile, "path">;

/** How a recorded file compares with what was remembered. */
export type RecordOutcome = "added" | "changed" | "same" | "repeat";

/** Numbers kept per file in the data array. */
const FIELDS = 4;
const MTIME = 0;
const SIZE = 1;
const INO = 2;
const DEV = 3;
/** Slots allocated at first. */
const INITIAL_CAPACITY = 256;
/** The last pass number before marks start again from 1. */
const LAST_PASS = 0xffff_fffe;

/**
 * Fingerprints by path. A pass (`beginPass()`, `record()` each file found,
 * `endPass()`) tells added, changed and removed files apart.
 */
export class FingerprintTable {
  #slots = new Map<string, number>();
  #data = new Float64Array(FIELDS * INITIAL_CAPACITY);
  #marks = new Uint32Array(INITIAL_CAPACITY);
  #free: number[] = [];
  #used = 0;
  #pass = 0;

  /** How many files are remembered. */
  get size(): number {
    return this.#slots.size;
  }

  /** Bytes held by the typed arrays (not counting paths and the map). */
  get byteLength(): number {
    return this.#data.byteLength + this.#marks.byteLength;
  }

  /**
   * The fingerprint remembered for a path.
   *
   * @param path The file's path.
   * @returns Its fingerprint, or undefined when unknown.
   */
  get(path: string): Fingerprint | undefined {
    const slot = this.#slots.get(path);
    if (slot === undefined) return undefined;
    const at = slot * FIELDS;
    const data = this.#data;
    return {
      mtimeMs: data[at + MTIME],
      size: data[at + SIZE],
      ino: data[at + INO],
      dev: data[at + DEV],
    };
  }

  /** Starts a pass: files not recorded before `endPass()` count as removed. */
  beginPass(): void {
    if (this.#pass >= LAST_PASS) {
      this.#marks.fill(0);
      this.#pass = 0;
    }
    this.#pass++;
  }

  /**
   * Records a file found in the current pass and remembers its fingerprint.
   *
   * @param file The file found.
   * @returns "added" when unknown, "changed" when its fingerprint differs,
   *   "same" when not, "repeat" when already recorded in this pass.
   */
  record(file: FoundFile): RecordOutcome {
    let slot = this.#slots.get(file.path);
    let outcome: RecordOutcome;
    if (slot === undefined) {
      slot = this.#allocate();
      this.#slots.set(file.path, slot);
      outcome = "added";
    } else if (this.#marks[slot] === this.#pass) {
      return "repeat";
    } else {
      outcome = this.#equals(slot, file) ? "same" : "changed";
    }
    const at = slot * FIELDS;
    this.#data[at + MTIME] = file.mtimeMs;
    this.#data[at + SIZE] = file.size;
    this.#data[at + INO] = file.ino;
    this.#data[at + DEV] = file.dev;
    this.#marks[slot] = this.#pass;
    return outcome;
  }

  /**
   * Ends a pass: forgets the files not recorded in it, except those `keep`
   * says might still exist.
   *
   * @param keep Whether an unrecorded path is kept anyway.
   * @returns The forgotten paths.
   */
  endPass(keep: (path: string) => boolean = () => false): string[] {
    const removed: string[] = [];
    for (const [path, slot] of this.#slots) {
      if (this.#marks[slot] === this.#pass || keep(path)) continue;
      this.#release(path, slot);
      removed.push(path);
    }
    return removed;
  }

  /**
   * Forgets a path, so the next pass finds it "added".
   *
   * @param path The file's path.
   * @returns Whether it was remembered.
   */
  delete(path: string): boolean {
    const slot = this.#slots.get(path);
    if (slot === undefined) return false;
    this.#release(path, slot);
    return true;
  }

  #equals(slot: number, file: Fingerprint): boolean {
    const at = slot * FIELDS;
    const data = this.#data;
    return data[at + MTIME] === file.mtimeMs && data[at + SIZE] === file.size &&
      data[at + INO] === file.ino && data[at + DEV] === file.dev;
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#used === this.#marks.length) {
      const capacity = this.#marks.length * 2;
      const data = new Float64Array(FIELDS * capacity);
      data.set(this.#data);
      const marks = new Uint32Array(capacity);
      marks.set(this.#marks);
      this.#data = data;
      this.#marks = marks;
    }
    return this.#used++;
  }

  #release(path: string, slot: number): void {
    this.#slots.delete(path);
    this.#marks[slot] = 0;
    this.#free.push(slot);
  }
}
