/**
 * The shapes the finder shares: its options, what it finds, and the file
 * system calls it makes (injectable, so tests can simulate faults).
 *
 * @module
 */

/** What the finder needs of a `stat` result (a subset of `Deno.FileInfo`). */
export type FinderStat =
  & Pick<Deno.FileInfo, "isFile" | "isDirectory" | "mtime" | "size" | "ino" | "dev">
  & Partial<Pick<Deno.FileInfo, "ctime">>;

/** What the finder needs of a directory entry (a subset of `Deno.DirEntry`). */
export type FinderDirEntry = Pick<Deno.DirEntry, "name" | "isFile" | "isDirectory" | "isSymlink">;

/**
 * The file system calls the finder makes; it never opens or reads a file.
 * Each throws as Deno's own do (`Deno.errors.NotFound`,
 * `Deno.errors.PermissionDenied`, ...).
 */
export interface FinderFs {
  /**
   * Stats a path, following symbolic links.
   *
   * @default {Deno.stat}
   */
  stat(path: string): Promise<FinderStat>;
  /**
   * Lists a directory's entries.
   *
   * @default {Deno.readDir}
   */
  readDir(path: string): AsyncIterable<FinderDirEntry>;
}

/** Options of {@linkcode findCertFiles}, `walkCertFiles` and `CertScanner`. */
export interface FindOptions {
  /**
   * Extensions of the files kept from directories, matched without case on
   * the text after a name's last `.`; a leading `.` is dropped. `"*"` keeps
   * every file but dotfiles and siblings (as HAProxy loads a `crt`
   * directory). Files given as cert paths themselves are kept whatever their
   * extension.
   *
   * @default DEFAULTS.fileExtensions (`--file-extensions`)
   */
  extensions?: readonly string[];
  /**
   * Whether to descend into subdirectories; otherwise only a directory's
   * direct entries are looked at.
   *
   * @default {false}
   */
  recursive?: boolean;
  /**
   * Ignore patterns, as `compileIgnore()` reads them.
   *
   * @default {[]}
   */
  ignore?: readonly string[];
  /**
   * The directory relative cert paths are resolved against.
   *
   * @default {Deno.cwd()}
   */
  cwd?: string;
  /**
   * Replacements for the file system calls.
   *
   * @default {{ stat: Deno.stat, readDir: Deno.readDir }}
   */
  fs?: Partial<FinderFs>;
}

/** A certificate file found, with the fingerprint used to notice changes. */
export interface FoundFile {
  /** Absolute path as found (symbolic links are not resolved). */
  path: string;
  /** Modification time in milliseconds since the epoch (0 when unknown). */
  mtimeMs: number;
  /** Size in bytes. */
  size: number;
  /** Inode number (0 when unknown). */
  ino: number;
  /** Device number. */
  dev: number;
  /** Status change time in milliseconds since the epoch (0 or absent when unknown). */
  ctimeMs?: number;
}
