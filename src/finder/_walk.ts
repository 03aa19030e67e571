/**
 * The walk itself, on settings already checked and compiled: lists the cert
 * paths breadth first, stats candidates (never opens them) and reports what it
 * cannot see instead of throwing.
 *
 * @module
 */

import { accessWarning, isGone, pathWarning, toFoundFile } from "./_fs.ts";
import { isCertName } from "./_names.ts";
import type { IgnoreMatcher } from "./ignore.ts";
import type { FinderDirEntry, FinderFs, FinderStat, FoundFile } from "./types.ts";

/** A problem met during a walk; the walk goes on. */
export interface FinderWarning {
  /** The path concerned ("" for a problem with the options). */
  path: string;
  /** One line for the log. */
  message: string;
  /**
   * True when the path may exist but could not be looked into, so the files
   * known under it should be kept rather than counted as removed.
   */
  unreadable: boolean;
}

/** Checked and compiled walk settings. */
export interface WalkSettings {
  /** Normalised extensions of files kept from directories. */
  extensions: ReadonlySet<string>;
  /** Whether to descend into subdirectories. */
  recursive: boolean;
  /** The compiled ignore patterns. */
  ignore: IgnoreMatcher;
  /** The file system calls. */
  fs: FinderFs;
  /** Called for each problem met. */
  onWarning: (warning: FinderWarning) => void;
}

/**
 * Walks absolute, normalised cert paths. Yields each file once: files given
 * as paths first (any extension), then directory entries breadth first, in
 * name order. Symbolic links are followed but no directory (by device and
 * inode) is listed twice, which ends loops. Vanished entries are skipped
 * silently; anything else that fails becomes a warning.
 *
 * @param roots Absolute, normalised paths without duplicates.
 * @param settings The compiled settings.
 * @returns The files found.
 */
export async function* walk(
  roots: readonly string[],
  settings: WalkSettings,
): AsyncGenerator<FoundFile> {
  const { extensions, recursive, ignore, fs, onWarning } = settings;
  const explicit = new Set<string>();
  const visited = new Set<string>();
  const queue: string[] = [];

  function enqueue(dir: string, info: FinderStat): void {
    const key = `${info.dev}:${info.ino ?? dir}`;
    if (visited.has(key)) return;
    visited.add(key);
    queue.push(dir);
  }

  /** Stats a directory entry; null when it vanished or failed (with a warning). */
  async function statEntry(path: string, entry: FinderDirEntry, wantFile: boolean) {
    try {
      return await fs.stat(path);
    } catch (err) {
      if (!isGone(err)) {
        onWarning({ path, message: accessWarning(path, "cannot stat", err), unreadable: true });
      } else if (entry.isSymlink && wantFile) {
        onWarning({ path, message: pathWarning(path, "broken symbolic link"), unreadable: false });
      }
      return null;
    }
  }

  for (const root of roots) {
    if (ignore.covers(root)) continue;
    let info: FinderStat;
    try {
      info = await fs.stat(root);
    } catch (err) {
      const gone = isGone(err);
      const message = gone
        ? pathWarning(root, "cert path does not exist")
        : accessWarning(root, "cannot stat cert path", err);
      onWarning({ path: root, message, unreadable: !gone });
      continue;
    }
    if (info.isFile) {
      explicit.add(root);
      yield toFoundFile(root, info);
    } else if (info.isDirectory) {
      enqueue(root, info);
    } else {
      const message = pathWarning(root, "cert path is not a regular file or directory");
      onWarning({ path: root, message, unreadable: false });
    }
  }

  for (let next = 0; next < queue.length; next++) {
    const dir = queue[next];
    queue[next] = "";
    for (const entry of await listDir(dir, fs, onWarning)) {
      if (entry.name.startsWith(".")) continue;
      const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (ignore.matches(path)) continue;
      const wantFile = !entry.isDirectory && isCertName(entry.name, extensions) &&
        !explicit.has(path);
      const wantDir = recursive && !entry.isFile;
      if (!wantFile && !wantDir) continue;
      const info = await statEntry(path, entry, wantFile);
      if (info === null) continue;
      if (info.isFile && wantFile) yield toFoundFile(path, info);
      else if (info.isDirectory && wantDir) enqueue(path, info);
    }
  }
}

/**
 * Lists a directory's entries in name order; on failure warns and returns
 * what was read (nothing when the directory vanished).
 */
async function listDir(
  dir: string,
  fs: FinderFs,
  onWarning: (warning: FinderWarning) => void,
): Promise<FinderDirEntry[]> {
  const entries: FinderDirEntry[] = [];
  try {
    for await (const entry of fs.readDir(dir)) entries.push(entry);
  } catch (err) {
    if (!isGone(err)) {
      onWarning({
        path: dir,
        message: accessWarning(dir, "cannot read directory", err),
        unreadable: true,
      });
    }
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
