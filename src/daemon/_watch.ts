/**
 * File watching for the daemon: one watch per source, each nudging a
 * rescan; a source that cannot be watched is left to the periodic scan.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { describeError } from "../errors/mod.ts";
import { type CertWatcher, watchCertPaths } from "../finder/mod.ts";
import type { Clock } from "../scheduler/mod.ts";
import type { CertSource } from "./types.ts";

const log = getLogger(["stapled", "daemon"]);

/**
 * Watches every source's paths.
 *
 * @param sources The sources.
 * @param clock Debouncing runs on it.
 * @param onChange Called (debounced) when something may have changed.
 * @returns The watches that started.
 */
export async function watchSources(
  sources: readonly CertSource<unknown>[],
  clock: Clock,
  onChange: () => void,
): Promise<CertWatcher[]> {
  const watchers: CertWatcher[] = [];
  for (const source of sources) {
    try {
      watchers.push(
        await watchCertPaths(source.paths, {
          onChange,
          onWarning: (message) => log.debug("file watch: {message}", { message }),
          recursive: source.find?.recursive,
          extensions: source.find?.extensions,
          ignore: source.find?.ignore,
          clock,
        }),
      );
    } catch (err) {
      log.warn("cannot watch {paths} for changes ({reason}); relying on the periodic scan", {
        paths: source.paths.join(", "),
        reason: describeError(err),
      });
    }
  }
  return watchers;
}
