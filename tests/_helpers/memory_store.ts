/**
 * An in-memory {@linkcode StapleStore} for tests: staples and revocation
 * records in a map, reads bounded like the file store's, writes counted, and
 * faults on demand. No file system, so engine tests need not wait for I/O.
 *
 * @example
 * ```ts
 * import { MemoryStapleStore } from "./memory_store.ts";
 * const store = new MemoryStapleStore();
 * await store.write("/etc/ssl/a.pem.ocsp", new Uint8Array([1]));
 * console.assert(store.get("/etc/ssl/a.pem.ocsp")?.length === 1);
 * ```
 *
 * @module
 */
import { StapleWriteError } from "../../src/errors/mod.ts";
import {
  MAX_STAPLE_BYTES,
  revocationPathFor,
  type StapleRead,
  type StapleStore,
} from "../../src/staples/mod.ts";

/** Staples in memory. */
export class MemoryStapleStore implements StapleStore {
  /** Every file by path (revocation records under their own path). */
  readonly files: Map<string, Uint8Array> = new Map();
  /** Paths written, in order. */
  readonly writes: string[] = [];
  /** Paths whose write fails (a full disk). */
  readonly failWrites: Set<string> = new Set();
  /** What `cleanup()` was asked about. */
  readonly cleaned: string[] = [];

  /** The bytes at `path`, if any. */
  get(path: string): Uint8Array | undefined {
    return this.files.get(path);
  }

  /** Whether `path` holds something. */
  has(path: string): boolean {
    return this.files.has(path);
  }

  read(staplePath: string): Promise<StapleRead> {
    return Promise.resolve(this.#read(staplePath));
  }

  write(staplePath: string, bytes: Uint8Array): Promise<void> {
    if (this.failWrites.has(staplePath)) {
      return Promise.reject(
        new StapleWriteError(staplePath, "cannot write staple: No space left on device"),
      );
    }
    this.files.set(staplePath, bytes.slice());
    this.writes.push(staplePath);
    return Promise.resolve();
  }

  remove(staplePath: string): Promise<boolean> {
    return Promise.resolve(this.files.delete(staplePath));
  }

  cleanup(files: Iterable<string>): Promise<string[]> {
    this.cleaned.push(...files);
    return Promise.resolve([]);
  }

  readRevocation(staplePath: string): Promise<StapleRead> {
    return Promise.resolve(this.#read(revocationPathFor(staplePath)));
  }

  writeRevocation(staplePath: string, der: Uint8Array): Promise<void> {
    return this.write(revocationPathFor(staplePath), der);
  }

  removeRevocation(staplePath: string): Promise<void> {
    this.files.delete(revocationPathFor(staplePath));
    return Promise.resolve();
  }

  #read(path: string): StapleRead {
    const bytes = this.files.get(path);
    if (bytes === undefined) return { state: "missing" };
    if (bytes.length > MAX_STAPLE_BYTES) {
      return {
        state: "unusable",
        reason:
          `it holds ${bytes.length} bytes, more than the ${MAX_STAPLE_BYTES}-byte staple limit; not read`,
      };
    }
    return { state: "read", bytes: bytes.slice() };
  }
}
