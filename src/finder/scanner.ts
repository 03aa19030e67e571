/**
 * Notices certificate files appearing, changing and disappearing between
 * scans, remembering only a small fingerprint per file and never reading one.
 *
 * @module
 */

import { FingerprintTable } from "./_fingerprints.ts";
import { byPath } from "./_fs.ts";
import { type CompiledFind, compileFindOptions } from "./_settings.ts";
import { type FinderWarning, walk } from "./_walk.ts";
import type { FindOptions, FoundFile } from "./types.ts";

/** What one {@linkcode CertScanner.scan} saw change since the scan before it. */
export interface ScanResult {
  /** Files not known before (on the first scan: all of them), sorted by path. */
  added: FoundFile[];
  /** Known files whose mtime, size, inode or device changed, sorted by path. */
  changed: FoundFile[];
  /** Paths of known files no longer found, sorted. */
  removed: string[];
  /** One line per problem met in this scan. */
  warnings: string[];
}

/**
 * Scans cert paths again and again and reports the difference each time. A
 * file is "changed" when its modification time (ms), size, inode or device
 * differs, so both rewriting in place and replacing by rename are noticed;
 * contents are never read (only `stat`). Files under a directory that could
 * not be listed this time are kept as they were, not reported removed. Scans
 * run one at a time: a `scan()` called while one runs starts after it. The
 * ignore pattern warnings come with the first scan only. Needs `--allow-read`.
 *
 * @example Rescan every minute and parse what is new
 * ```ts
 * const scanner = new CertScanner(["/etc/haproxy/certs"], { recursive: true });
 * const { added, changed, removed, warnings } = await scanner.scan();
 * ```
 */
export class CertScanner {
  #compiled: CompiledFind;
  #table = new FingerprintTable();
  #tail: Promise<void> = Promise.resolve();
  #scans = 0;

  /**
   * Checks the options; nothing is looked at until the first `scan()`.
   *
   * @param paths Cert paths: files or directories, absolute or relative to `options.cwd`.
   * @param options What to keep, as for `findCertFiles()`.
   * @throws {RangeError} A path is empty or an extension is unusable.
   */
  constructor(paths: readonly string[], options: FindOptions = {}) {
    this.#compiled = compileFindOptions(paths, options);
  }

  /** How many files are remembered. */
  get size(): number {
    return this.#table.size;
  }

  /**
   * Scans the cert paths and compares with the previous scan.
   *
   * @returns What was added, changed and removed, and the warnings.
   */
  scan(): Promise<ScanResult> {
    const run = this.#tail.then(() => this.#scanOnce());
    // The next scan waits for this one, not for its result: holding the
    // result would keep every file found alive until the next scan.
    this.#tail = run.then(() => {}, () => {});
    return run;
  }

  /**
   * Forgets a file, so the next scan reports it added again (e.g. after
   * reading it failed and should be retried).
   *
   * @param path The file's path, as found.
   * @returns Whether it was remembered.
   */
  forget(path: string): boolean {
    return this.#table.delete(path);
  }

  async #scanOnce(): Promise<ScanResult> {
    const table = this.#table;
    const result: ScanResult = { added: [], changed: [], removed: [], warnings: [] };
    if (this.#scans++ === 0) result.warnings.push(...this.#compiled.ignore.warnings);
    const unreadable: string[] = [];
    function onWarning(warning: FinderWarning): void {
      result.warnings.push(warning.message);
      if (warning.unreadable) unreadable.push(warning.path);
    }
    table.beginPass();
    for await (const file of walk(this.#compiled.roots, { ...this.#compiled, onWarning })) {
      const outcome = table.record(file);
      if (outcome === "added") result.added.push(file);
      else if (outcome === "changed") result.changed.push(file);
    }
    result.removed = table.endPass((path) => unreadable.some((dir) => isWithin(path, dir)));
    result.added.sort(byPath);
    result.changed.sort(byPath);
    result.removed.sort();
    return result;
  }
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || dir === "/" || path.startsWith(`${dir}/`);
}
