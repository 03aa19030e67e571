/**
 * Nudges the daemon when something under the cert paths changes, through
 * `Deno.watchFs`, so it can rescan within a second instead of waiting for the
 * periodic scan (which stays as the safety net: the watcher may fail).
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import { accessWarning, isGone, pathWarning, resolveFs } from "./_fs.ts";
import { DEFAULT_EXTENSIONS, isCertName, isNeverCert, normalizeExtensions } from "./_names.ts";
import { compileIgnore } from "./ignore.ts";
import type { FinderFs } from "./types.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";

/** What the watcher needs of a `Deno.FsWatcher`. */
export type FsWatcherLike = AsyncIterable<Pick<Deno.FsEvent, "kind" | "paths">> & {
  close(): void;
};

/**
 * The clock the watcher debounces on: the scheduler's {@linkcode Clock}.
 *
 * @deprecated Use `Clock` from `src/scheduler/clock.ts`; kept as a name for existing imports.
 */
export type WatchClock = Clock;

/** Options of {@linkcode watchCertPaths}. */
export interface WatchOptions {
  /** Called (debounced) when something that may matter changed. */
  onChange: () => void;
  /**
   * Called for each problem: a path that cannot be watched, a watch that
   * stopped, an `onChange` that threw.
   *
   * @default {() => {}}
   */
  onWarning?: (message: string) => void;
  /**
   * Whether directories are watched with their subdirectories.
   *
   * @default {false}
   */
  recursive?: boolean;
  /**
   * Certificate extensions, as for `findCertFiles()`: changes to other files
   * matter only as possible directory changes when `recursive` is set.
   *
   * @default DEFAULTS.fileExtensions (`--file-extensions`)
   */
  extensions?: readonly string[];
  /**
   * Ignore patterns, as for `findCertFiles()`; their warnings are left to the
   * scanner.
   *
   * @default {[]}
   */
  ignore?: readonly string[];
  /**
   * Quiet time after the last event before `onChange` is called.
   *
   * @default {200}
   */
  debounceMs?: number;
  /**
   * Longest wait after the first event of a burst before `onChange` is called.
   *
   * @default {1000}
   */
  maxWaitMs?: number;
  /**
   * The directory relative cert paths are resolved against.
   *
   * @default {Deno.cwd()}
   */
  cwd?: string;
  /**
   * Starts watching paths.
   *
   * @default {Deno.watchFs}
   */
  watchFs?: (paths: string[], options: { recursive: boolean }) => FsWatcherLike;
  /**
   * Replacements for the file system calls (only `stat` is used).
   *
   * @default {{ stat: Deno.stat }}
   */
  fs?: Partial<FinderFs>;
  /**
   * The clock for debouncing (the daemon passes the scheduler's).
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

/** A running watch, from {@linkcode watchCertPaths}. */
export interface CertWatcher {
  /** How many paths are being watched (0: the watch failed everywhere). */
  readonly watching: number;
  /** Every warning so far, in order. */
  readonly warnings: readonly string[];
  /**
   * Stops watching; no `onChange` comes after it.
   *
   * @returns A promise that settles when the watches have ended.
   */
  close(): Promise<void>;
}

/** Event kinds that may be a directory appearing, disappearing or moving. */
const TREE_KINDS: ReadonlySet<string> = new Set(["create", "remove", "rename", "any", "other"]);

/**
 * Watches cert paths and calls `onChange()` when a certificate file (or, with
 * `recursive`, possibly a directory) under them changes. Directories are
 * watched themselves; a file given as a cert path is watched through its
 * directory, so replacing it by rename (or re-pointing a symbolic link) is
 * seen. Changes to dotfiles (stapled's temp files), sibling files (`.ocsp`,
 * `.issuer`, `.key`, `.sctl`) and ignored paths are left out, so writing
 * staples does not trigger rescans. Events are debounced: `onChange` comes
 * `debounceMs` after the last event of a burst, but no later than `maxWaitMs`
 * after its first. A path that cannot be watched (missing, or watching fails
 * on this system) gives a warning and is left to the periodic scan. Needs
 * `--allow-read`.
 *
 * @param paths Cert paths: files or directories.
 * @param options What to call and how to watch.
 * @returns The running watch; close it when done.
 * @throws {RangeError} An extension is unusable, or a delay is negative or not finite.
 *
 * @example Rescan soon after a change
 * ```ts
 * import { CertScanner } from "./scanner.ts";
 * const dir = await Deno.makeTempDir();
 * const scanner = new CertScanner([dir]);
 * const watcher = await watchCertPaths([dir], {
 *   recursive: true,
 *   onChange: () => void scanner.scan(),
 * });
 * await watcher.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function watchCertPaths(
  paths: readonly string[],
  options: WatchOptions,
): Promise<CertWatcher> {
  const {
    onChange,
    onWarning = () => {},
    recursive = false,
    extensions = DEFAULT_EXTENSIONS,
    ignore = [],
    debounceMs = 200,
    maxWaitMs = 1000,
    cwd = Deno.cwd(),
    watchFs = defaultWatchFs,
    fs,
    clock = systemClock,
  } = options;
  for (const [name, value] of [["debounceMs", debounceMs], ["maxWaitMs", maxWaitMs]] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(
        `Cannot watch cert paths: ${name} is ${value}, not a finite number >= 0`,
      );
    }
  }
  const certExtensions = normalizeExtensions(extensions);
  const ignored = compileIgnore(ignore);
  const { stat } = resolveFs(fs);
  const warnings: string[] = [];
  function warn(message: string): void {
    warnings.push(message);
    onWarning(message);
  }

  // Sort the paths into directories (watched as asked) and files (watched
  // through their directory, never recursively).
  const treeDirs: string[] = [];
  const flatDirs = new Set<string>();
  const fileNames = new Set<string>();
  for (const path of new Set(paths.map((path) => resolve(cwd, path)))) {
    if (ignored.covers(path)) continue;
    try {
      const info = await stat(path);
      if (info.isDirectory) {
        if (recursive) treeDirs.push(path);
        else flatDirs.add(path);
      } else {
        flatDirs.add(dirname(path));
        fileNames.add(basename(path));
      }
    } catch (err) {
      warn(
        isGone(err)
          ? pathWarning(path, "cannot watch: cert path does not exist")
          : accessWarning(path, "cannot watch", err),
      );
    }
  }

  function matters(kind: string, path: string): boolean {
    const name = basename(path);
    if (isNeverCert(name) || ignored.covers(path)) return false;
    if (fileNames.has(name) || isCertName(name, certExtensions)) return true;
    return recursive && TREE_KINDS.has(kind);
  }

  let closed = false;
  let timer: unknown = null;
  let burstStart = 0;
  function fire(): void {
    timer = null;
    if (closed) return;
    try {
      onChange();
    } catch (err) {
      warn(`cert watch: onChange failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  function nudge(): void {
    if (closed) return;
    const now = clock.now();
    if (timer === null) burstStart = now;
    else clock.clearTimeout(timer);
    timer = clock.setTimeout(fire, Math.max(0, Math.min(debounceMs, burstStart + maxWaitMs - now)));
  }

  const watchers: FsWatcherLike[] = [];
  const loops: Promise<void>[] = [];
  let watching = 0;
  async function follow(watcher: FsWatcherLike): Promise<void> {
    try {
      for await (const event of watcher) {
        if (event.paths.some((path) => matters(event.kind, path))) nudge();
      }
    } catch (err) {
      if (!closed) warn(`cert watch stopped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  function start(group: string[], treeWatch: boolean): void {
    if (group.length === 0) return;
    try {
      const watcher = watchFs(group, { recursive: treeWatch });
      watchers.push(watcher);
      loops.push(follow(watcher));
      watching += group.length;
    } catch (err) {
      if (group.length > 1) {
        for (const path of group) start([path], treeWatch);
      } else {
        warn(accessWarning(group[0], "cannot watch", err));
      }
    }
  }
  start(treeDirs, true);
  start([...flatDirs], false);

  return {
    get watching() {
      return watching;
    },
    get warnings() {
      return warnings;
    },
    async close() {
      closed = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      for (const watcher of watchers.splice(0)) {
        try {
          watcher.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.all(loops);
    },
  };
}

function defaultWatchFs(paths: string[], options: { recursive: boolean }): FsWatcherLike {
  return Deno.watchFs(paths, options);
}
