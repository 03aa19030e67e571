/**
 * The engine's certificate table: one small entry per certificate file,
 * the sources listing it, and the one source-to-socket mapping (a file's
 * staple goes to the sockets of every source that lists it). The table
 * keeps the books; it schedules nothing: `found()` says what to run.
 *
 * @module
 */
import type { CertEntry } from "./_stages.ts";
import type { CertOutcome, CertSource } from "./types.ts";

/** The certificate files the engine knows, in the order they were found. */
export class CertTable<Socket> {
  /** The entries, by path. */
  readonly entries: Map<string, CertEntry> = new Map();
  /** The sources, in configuration order (entries refer to them by index). */
  sources: CertSource<Socket>[];
  /** One set per distinct list of source indexes (in order), shared by the entries. */
  #sets = new Map<string, ReadonlySet<number>>();

  /** @param sources The engine's sources. */
  constructor(sources: CertSource<Socket>[]) {
    this.sources = sources;
  }

  /**
   * A scanner of source `index` found `path` new or changed. It is (re)read
   * once per scan however many sources list it (`parse`: a fresh entry); a
   * file another source already holds only gains this source's sockets
   * (`renew`: hand the staple to them too, or nothing to run).
   *
   * @param path The file.
   * @param index The source.
   * @param parsing Files this scan (re)reads already.
   * @param changed Whether the scanner saw it change.
   * @param recycle Whether its first renewal may reuse the staple on disk.
   * @returns What to run for it now, if anything.
   */
  found(
    path: string,
    index: number,
    parsing: Set<string>,
    changed: boolean,
    recycle: boolean,
  ): "parse" | "renew" | undefined {
    const known = this.entries.get(path);
    if (known && (parsing.has(path) || !changed)) {
      const added = !known.sources.has(index);
      if (added) known.sources = this.#shared([...known.sources, index]);
      if (added && !parsing.has(path) && known.validUntil !== undefined) {
        known.recycle = true;
        return known.bundle ? "renew" : "parse";
      }
      return undefined;
    }
    parsing.add(path);
    // Every field set here, in one order: one shape, no out-of-object property store.
    this.entries.set(path, {
      path,
      sources: this.#shared([...(known?.sources ?? []), index]),
      bundle: undefined,
      fileFailures: 0,
      renewFailures: 0,
      urlIndex: 0,
      lastFetchAt: known?.lastFetchAt,
      validUntil: known?.validUntil,
      recycle,
      issuerFile: undefined,
      issuerFetch: undefined,
      renewQueue: undefined,
      fingerprint: undefined,
      scanned: undefined,
    });
    return "parse";
  }

  /**
   * Source `index` no longer lists `path`.
   *
   * @returns Whether no source lists it any more (forget it).
   */
  removed(path: string, index: number): boolean {
    const entry = this.entries.get(path);
    if (!entry) return false;
    entry.sources = this.#shared([...entry.sources].filter((i) => i !== index));
    return entry.sources.size === 0;
  }

  /** The shared set of these source indexes (first-listed first): one per distinct list. */
  #shared(indexes: number[]): ReadonlySet<number> {
    const set = new Set(indexes);
    const key = [...set].join(",");
    let shared = this.#sets.get(key);
    if (!shared) this.#sets.set(key, shared = set);
    return shared;
  }

  /** The first source listing `entry`: its staple naming and extra files. */
  sourceOf(entry: CertEntry): CertSource<Socket> {
    return this.sources[[...entry.sources][0]] ?? { paths: [] };
  }

  /** The one source-to-socket mapping: the sockets of every source that lists `entry`. */
  socketsOf(entry: CertEntry): Socket[] {
    return [...entry.sources].flatMap((i) => [...(this.sources[i]?.sockets ?? [])]);
  }

  /** An outcome for `entry`, with its source and sockets. */
  outcome(
    entry: CertEntry,
    status: CertOutcome["status"],
    more: Partial<CertOutcome>,
  ): CertOutcome<Socket> {
    return {
      path: entry.path,
      status,
      ...more,
      source: this.sourceOf(entry),
      sockets: this.socketsOf(entry),
    };
  }
}
