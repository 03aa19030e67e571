/**
 * Finds the certificate files under the cert paths in one call.
 *
 * @module
 */

import { byPath } from "./_fs.ts";
import { walkCertFiles } from "./walk.ts";
import type { FindOptions, FoundFile } from "./types.ts";

/** What {@linkcode findCertFiles} returns. */
export interface FindResult {
  /** The files found, sorted by path, each once. */
  files: FoundFile[];
  /** One line per problem met, in the order met. */
  warnings: string[];
}

/**
 * Finds certificate files: the rules are those of `walkCertFiles()`; the
 * result is sorted by path and holds each path once, even when cert paths
 * overlap. Problems (a missing cert path, a directory that cannot be read, a
 * bad ignore pattern) are returned as warnings, never thrown. Needs
 * `--allow-read` for the paths.
 *
 * @param paths Cert paths: files or directories, absolute or relative to `options.cwd`.
 * @param options What to keep.
 * @returns The files and the warnings.
 * @throws {RangeError} A path is empty or an extension is unusable.
 *
 * @example Find the certificates HAProxy loads from a directory
 * ```ts
 * const { files, warnings } = await findCertFiles(["/etc/haproxy/certs"], {
 *   extensions: ["pem"],
 *   ignore: ["snakeoil.pem"],
 * });
 * ```
 */
export async function findCertFiles(
  paths: readonly string[],
  options: FindOptions = {},
): Promise<FindResult> {
  const warnings: string[] = [];
  const files: FoundFile[] = [];
  const onWarning = ({ message }: { message: string }) => warnings.push(message);
  for await (const file of walkCertFiles(paths, { ...options, onWarning })) files.push(file);
  files.sort(byPath);
  return { files, warnings };
}
