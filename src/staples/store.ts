/**
 * Where staples are kept, as one interface the renewer and the engine are
 * given: a bounded read, an atomic write, a removal, the cleanup of an
 * interrupted stapled's temp files, and the revocation record beside each
 * staple. {@linkcode FileStapleStore} is the file system (what HAProxy
 * loads); tests pass an in-memory store instead.
 *
 * @module
 */
import { StapleWriteError } from "../errors/mod.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";
import { LeftoverCleaner } from "./cleaner.ts";
import { revocationPathFor } from "./paths.ts";
import { fileFingerprint, readStaple, type StapleRead } from "./read.ts";
import { writeStapleAtomic } from "./write.ts";

/**
 * Staple storage. Paths are staple paths (`staplePathFor`); the revocation
 * record of a staple is addressed by the staple's path.
 *
 * @example Code that only needs a store takes the interface
 * ```ts
 * import { FileStapleStore, type StapleStore } from "./store.ts";
 * async function stapleSize(store: StapleStore, staplePath: string): Promise<number> {
 *   const read = await store.read(staplePath);
 *   return read.state === "read" ? read.bytes.length : 0;
 * }
 * console.assert(await stapleSize(new FileStapleStore(), "/nonexistent/site.pem.ocsp") === 0);
 * ```
 */
export interface StapleStore {
  /**
   * Reads a staple, at most `MAX_STAPLE_BYTES`; never blocks on a FIFO.
   *
   * @param staplePath The staple.
   * @returns `missing`, `read` with the bytes, or `unusable` with why.
   */
  read(staplePath: string): Promise<StapleRead>;
  /**
   * The staple's fingerprint now, as `read` reports it, without reading it
   * (one stat); undefined when there is none. A store without it is never
   * trusted to be unchanged.
   *
   * @param staplePath The staple.
   */
  fingerprint?(staplePath: string): string | undefined;
  /**
   * Replaces a staple atomically (readers see the old or the new one).
   *
   * @param staplePath The staple.
   * @param bytes The DER response, or nothing for an empty staple.
   * @throws {StapleWriteError} When it cannot be written.
   */
  write(staplePath: string, bytes: Uint8Array): Promise<void>;
  /**
   * Removes a staple.
   *
   * @param staplePath The staple.
   * @returns Whether there was one.
   * @throws {StapleWriteError} When it exists but cannot be removed.
   */
  remove(staplePath: string): Promise<boolean>;
  /**
   * Removes the temp files an interrupted stapled left beside these files,
   * once per directory over the store's life.
   *
   * @param files Certificate or staple files.
   * @returns The temp files removed.
   */
  cleanup(files: Iterable<string>): Promise<string[]>;
  /**
   * Reads the revocation record kept beside a staple, as {@linkcode read}.
   *
   * @param staplePath The staple.
   */
  readRevocation(staplePath: string): Promise<StapleRead>;
  /**
   * Replaces the revocation record kept beside a staple, atomically.
   *
   * @param staplePath The staple.
   * @param der The revoked response.
   * @throws {StapleWriteError} When it cannot be written.
   */
  writeRevocation(staplePath: string, der: Uint8Array): Promise<void>;
  /**
   * Removes the revocation record kept beside a staple, if there is one.
   *
   * @param staplePath The staple.
   */
  removeRevocation(staplePath: string): Promise<void>;
}

/** Options of {@linkcode FileStapleStore}. */
export interface FileStapleStoreOptions {
  /** The clock leftovers' ages are measured on. @default systemClock */
  clock?: Clock;
  /** Leftover temp files younger than this are kept (another stapled writing). @default 60000 */
  leftoverMinAgeMs?: number;
}

/**
 * Staples as files beside their certificates, where HAProxy loads them.
 *
 * @example Write, read and remove a staple
 * ```ts
 * import { FileStapleStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = new FileStapleStore();
 * await store.cleanup([`${dir}/site.pem`]);
 * await store.write(`${dir}/site.pem.ocsp`, new Uint8Array([0x30, 0x00]));
 * const read = await store.read(`${dir}/site.pem.ocsp`);
 * console.assert(read.state === "read" && read.bytes.length === 2);
 * console.assert(await store.remove(`${dir}/site.pem.ocsp`));
 * console.assert((await store.read(`${dir}/site.pem.ocsp`)).state === "missing");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileStapleStore implements StapleStore {
  #cleaner: LeftoverCleaner;

  /** @param options The clock and leftover age for {@linkcode cleanup}. */
  constructor(options: FileStapleStoreOptions = {}) {
    this.#cleaner = new LeftoverCleaner({
      clock: options.clock ?? systemClock,
      minAgeMs: options.leftoverMinAgeMs,
    });
  }

  /** {@inheritDoc StapleStore.read} */
  read(staplePath: string): Promise<StapleRead> {
    return readStaple(staplePath);
  }

  /** {@inheritDoc StapleStore.fingerprint} */
  fingerprint(staplePath: string): string | undefined {
    return fileFingerprint(staplePath);
  }

  /** {@inheritDoc StapleStore.write} */
  write(staplePath: string, bytes: Uint8Array): Promise<void> {
    return writeStapleAtomic(staplePath, bytes);
  }

  /** {@inheritDoc StapleStore.remove} */
  async remove(staplePath: string): Promise<boolean> {
    try {
      await Deno.remove(staplePath);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw new StapleWriteError(staplePath, `cannot remove staple: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** {@inheritDoc StapleStore.cleanup} */
  cleanup(files: Iterable<string>): Promise<string[]> {
    return this.#cleaner.sweepFor(files);
  }

  /** {@inheritDoc StapleStore.readRevocation} */
  readRevocation(staplePath: string): Promise<StapleRead> {
    return readStaple(revocationPathFor(staplePath));
  }

  /** {@inheritDoc StapleStore.writeRevocation} */
  writeRevocation(staplePath: string, der: Uint8Array): Promise<void> {
    return writeStapleAtomic(revocationPathFor(staplePath), der);
  }

  /** {@inheritDoc StapleStore.removeRevocation} */
  async removeRevocation(staplePath: string): Promise<void> {
    await Deno.remove(revocationPathFor(staplePath)).catch(() => {});
  }
}
