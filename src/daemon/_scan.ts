/**
 * One scan pass over every source: what was added, changed and removed,
 * booked in the certificate table, and what to run for each file once the
 * pass is over (so a file two sources list is pushed to both's sockets).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { CertScanner, FoundFile } from "../finder/mod.ts";
import { fingerprintFrom } from "../staples/mod.ts";
import type { CertTable } from "./_table.ts";

const log = getLogger(["stapled", "daemon"]);

/** What a pass found. */
export interface ScanPass {
  /** What to run per file, once the pass is over. */
  runs: Map<string, "parse" | "renew">;
  /** Every warning of the finder in this pass. */
  warnings: Set<string>;
}

/** Options of {@linkcode scanPass}. */
export interface ScanPassOptions {
  /** Whether a (re)read file's first renewal may reuse the staple on disk. */
  recycle: boolean;
  /** Sweeps the directories of newly found files for leftovers (not in check mode). */
  cleanup?: (paths: string[]) => Promise<unknown>;
  /** A file is (re)read: its old tasks are cancelled. */
  onRead(path: string): void;
  /** No source lists a file any more: forget it. */
  onGone(path: string): void;
}

/**
 * Scans every source once.
 *
 * @param scanners One per source, in the table's source order.
 * @param table The certificate table.
 * @param options What to do with what is found.
 * @returns What to run, and the warnings.
 */
export async function scanPass<Socket>(
  scanners: readonly CertScanner[],
  table: CertTable<Socket>,
  options: ScanPassOptions,
): Promise<ScanPass> {
  const parsing = new Set<string>(); // files (re)read by this pass
  const runs = new Map<string, "parse" | "renew">();
  const warnings = new Set<string>();
  const found = (file: FoundFile, index: number, changed: boolean) => {
    const path = file.path;
    const known = table.entries.has(path);
    const run = table.found(path, index, parsing, changed, options.recycle);
    if (run === "parse") {
      if (known) log.info("certificate file changed, reading it again", { cert: path });
      // What this scan's stat saw: the parse right after it needs no second stat.
      table.entries.get(path)!.scanned = fingerprintFrom(file);
      options.onRead(path);
    }
    if (run && runs.get(path) !== "parse") runs.set(path, run);
  };
  for (const [index, scanner] of scanners.entries()) {
    const result = await scanner.scan();
    await options.cleanup?.(result.added.map((f) => f.path));
    for (const w of result.warnings) warnings.add(w);
    for (const file of result.added) found(file, index, false);
    for (const file of result.changed) found(file, index, true);
    for (const path of result.removed) {
      if (!table.removed(path, index)) continue;
      log.info("certificate file removed, forgetting it", { cert: path });
      runs.delete(path);
      options.onGone(path);
    }
  }
  return { runs, warnings };
}
