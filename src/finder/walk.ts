/**
 * Streams the certificate files under the cert paths, for callers that do not
 * want all of them in memory at once.
 *
 * @module
 */

import { compileFindOptions } from "./_settings.ts";
import { type FinderWarning, walk } from "./_walk.ts";
import type { FindOptions, FoundFile } from "./types.ts";

export type { FinderWarning } from "./_walk.ts";

/** Options of {@linkcode walkCertFiles}. */
export interface WalkOptions extends FindOptions {
  /**
   * Called for each problem met (a bad ignore pattern, a missing cert path,
   * a directory that cannot be read); the walk goes on.
   *
   * @default {() => {}}
   */
  onWarning?: (warning: FinderWarning) => void;
}

/**
 * Walks cert paths and yields each certificate file once, unsorted: files
 * given as cert paths first (whatever their extension), then the entries of
 * the given directories whose extension is in `extensions`, breadth first;
 * subdirectories only when `recursive` is set. Dotfiles (and so stapled's
 * own temp files), sibling files (`.ocsp`, `.issuer`, `.key`, `.sctl`),
 * dot directories and ignored paths are skipped. Symbolic links are followed,
 * but no directory is listed twice, so loops end. Files are only stat'ed,
 * never opened. Needs `--allow-read` for the paths.
 *
 * @param paths Cert paths: files or directories, absolute or relative to `options.cwd`.
 * @param options What to keep and where to report problems.
 * @returns The files, each with its fingerprint.
 * @throws {RangeError} A path is empty or an extension is unusable (before the first file).
 *
 * @example Count the certificates under /etc/haproxy
 * ```ts
 * let count = 0;
 * for await (const _file of walkCertFiles(["/etc/haproxy"], { recursive: true })) count++;
 * ```
 */
export async function* walkCertFiles(
  paths: readonly string[],
  options: WalkOptions = {},
): AsyncGenerator<FoundFile> {
  const { onWarning = () => {} } = options;
  const compiled = compileFindOptions(paths, options);
  for (const message of compiled.ignore.warnings) {
    onWarning({ path: "", message, unreadable: false });
  }
  yield* walk(compiled.roots, { ...compiled, onWarning });
}
