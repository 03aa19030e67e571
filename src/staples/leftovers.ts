/**
 * Removes the temp files a killed stapled left behind (`kill -9` or a power
 * cut between creating a temp staple and renaming it). Only stapled's own
 * names are touched (see `_temp.ts`), only regular files, and only those
 * older than a minute, so a write of another stapled running now is never
 * disturbed.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { TEMP_NAME_REGEXP } from "./_temp.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";

const log = getLogger(["stapled", "staples"]);

/** Options of {@linkcode removeStapleLeftovers}. */
export interface RemoveLeftoversOptions {
  /** Keep temp files modified less than this many ms ago. @default 60000 */
  minAgeMs?: number;
  /** The clock ages are measured on. @default systemClock */
  clock?: Clock;
}

/**
 * Removes stapled's leftover temp files (`.<staple>.<random>.tmp`) from
 * `dir`. A directory that does not exist has none; a file that cannot be
 * removed is logged and skipped.
 *
 * @param dir A directory stapled writes staples to.
 * @param options Age threshold and clock.
 * @returns The paths removed.
 * @throws {RangeError} When `minAgeMs` is negative.
 *
 * @example Remove what a crash left
 * ```ts
 * import { removeStapleLeftovers } from "./leftovers.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/.site.pem.ocsp.1a2b3c.tmp`, new Uint8Array(3));
 * const removed = await removeStapleLeftovers(dir, { minAgeMs: 0 });
 * console.assert(removed.length === 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function removeStapleLeftovers(
  dir: string,
  options: RemoveLeftoversOptions = {},
): Promise<string[]> {
  const { minAgeMs = 60_000, clock = systemClock } = options;
  if (!(minAgeMs >= 0)) {
    throw new RangeError(`Cannot remove leftovers: minAgeMs must be >= 0, got ${minAgeMs}`);
  }
  const removed: string[] = [];
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && TEMP_NAME_REGEXP.test(entry.name)) names.push(entry.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.warn("cannot look for leftover temp files in {dir}: {reason}", {
        dir,
        reason: (err as Error).message,
      });
    }
    return removed;
  }
  const cutoff = clock.now() - minAgeMs;
  for (const name of names) {
    const path = `${dir.replace(/\/+$/, "")}/${name}`;
    try {
      const info = await Deno.lstat(path);
      if (!info.isFile || (info.mtime?.getTime() ?? Infinity) > cutoff) continue;
      await Deno.remove(path);
      removed.push(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      log.warn("cannot remove the leftover temp file {file}: {reason}", {
        file: path,
        reason: (err as Error).message,
      });
    }
  }
  if (removed.length > 0) {
    log.info("removed {count} temp file(s) an interrupted stapled left in {dir}", {
      dir,
      count: removed.length,
    });
  }
  return removed;
}
