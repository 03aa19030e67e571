/**
 * The pid file (`--pidfile FILE`): held by the process that runs the daemon
 * with an exclusive advisory lock (`flock`, through `Deno.FsFile.tryLock`)
 * for as long as it runs, and removed again on a clean exit. Whether another
 * stapled runs is asked of the kernel: the file is locked exactly while its
 * holder lives (a `kill -9` releases it too), so no process table is read
 * (Deno grants `/proc` only with `--allow-all`) and no pid is guessed at.
 *
 * A file that exists but holds something other than a pid is never
 * overwritten, so a mistyped `--pidfile /etc/passwd` destroys nothing; nor is
 * a symbolic link, a FIFO or any other non-regular file followed.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ConfigError, describeError } from "../errors/mod.ts";

const log = getLogger(["stapled", "pidfile"]);

const PID_REGEXP = /^\s*([1-9][0-9]{0,9})\s*$/;
/** A pid file is a pid and a newline; anything larger is some other file. */
const MAX_PIDFILE_BYTES = 64;

/** Options of {@linkcode Pidfile.acquire}. */
export interface AcquirePidfileOptions {
  /** The pid to write. @default Deno.pid */
  pid?: number;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

/** Reads what the open pid file holds now, from its start, up to the size limit. */
async function readHeld(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  const buffer = new Uint8Array(MAX_PIDFILE_BYTES + 1);
  let total = 0;
  while (total < buffer.length) {
    const n = await file.read(buffer.subarray(total));
    if (n === null) break;
    total += n;
  }
  return new TextDecoder().decode(buffer.subarray(0, total));
}

/** Whether `path` still names the inode `held` (a releasing holder unlinks it). */
async function stillNamed(path: string, held: Deno.FileInfo): Promise<boolean> {
  try {
    const named = await Deno.lstat(path);
    return named.ino === held.ino && named.dev === held.dev;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Refuses an existing `path` that is not a regular file, before opening it. */
async function checkRegular(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (info.isSymlink) {
    throw new ConfigError(path, "cannot use the pid file: it is a symbolic link");
  }
  if (!info.isFile) {
    throw new ConfigError(path, "cannot use the pid file: it is not a regular file");
  }
}

/**
 * A pid file this process holds. Get one with {@linkcode Pidfile.acquire};
 * call {@linkcode Pidfile.release} when the daemon stops.
 *
 * @example Holding the pid file while the daemon runs
 * ```ts
 * import { Pidfile } from "./pidfile.ts";
 * const dir = await Deno.makeTempDir();
 * const pidfile = await Pidfile.acquire(`${dir}/stapled.pid`);
 * try {
 *   // ... run the daemon ...
 * } finally {
 *   await pidfile.release();
 *   await Deno.remove(dir);
 * }
 * ```
 */
export class Pidfile {
  /** The file. */
  readonly path: string;
  /** The pid written into it. */
  readonly pid: number;
  #file: Deno.FsFile;
  #released = false;

  private constructor(path: string, pid: number, file: Deno.FsFile) {
    this.path = path;
    this.pid = pid;
    this.#file = file;
  }

  /**
   * Opens (or creates, mode 0644) `path`, takes its exclusive lock without
   * waiting, and writes `pid` into it; the lock is held until
   * {@linkcode Pidfile.release} or the process ends. A file locked by
   * another process means a stapled runs with it. An unlocked file naming a
   * pid is stale (its holder is gone) and is rewritten, with an info line; an
   * empty one is taken silently.
   *
   * Needs `--allow-read` and `--allow-write` for the file.
   *
   * @param path The pid file.
   * @param options The pid.
   * @returns The held pid file.
   * @throws {ConfigError} "already running as pid N" when another process
   *   holds the lock; when the file holds something other than a pid, is not
   *   a regular file, or cannot be written (exit status 2).
   */
  static async acquire(path: string, options: AcquirePidfileOptions = {}): Promise<Pidfile> {
    const { pid = Deno.pid } = options;
    for (let attempt = 0;; attempt++) {
      let file: Deno.FsFile | undefined;
      try {
        await checkRegular(path);
        file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o644 });
        if (!(await file.tryLock(true))) {
          const holder = PID_REGEXP.exec(await readHeld(file))?.[1];
          throw new ConfigError(
            path,
            `already running as pid ${
              holder ?? "(unknown)"
            } (another process holds the pid file's lock; stop it first)`,
          );
        }
        const held = await file.stat();
        if (!held.isFile) {
          throw new ConfigError(path, "cannot use the pid file: it is not a regular file");
        }
        if (!(await stillNamed(path, held))) {
          // The previous holder removed it between our open and our lock.
          if (attempt >= 3) {
            throw new ConfigError(
              path,
              "cannot write the pid file: another process keeps replacing it",
            );
          }
          file.close();
          file = undefined;
          continue;
        }
        const text = await readHeld(file);
        const stale = PID_REGEXP.exec(text)?.[1];
        if (text.trim() !== "" && stale === undefined) {
          throw new ConfigError(
            path,
            "cannot use the pid file: it exists and holds something other than a pid; not overwriting it",
          );
        }
        if (stale !== undefined && Number(stale) !== pid) {
          log.info("replacing the stale pid file {path}: pid {stale} no longer holds it", {
            path,
            stale: Number(stale),
          });
        }
        await file.truncate(0);
        await file.seek(0, Deno.SeekMode.Start);
        const bytes = new TextEncoder().encode(`${pid}\n`);
        for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
        const acquired = new Pidfile(path, pid, file);
        file = undefined;
        return acquired;
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError(path, `cannot write the pid file: ${firstLine(err)}`, {
          cause: err,
        });
      } finally {
        file?.close();
      }
    }
  }

  /**
   * Removes the file if it still is the one this process locked and holds
   * this pid, then lets go of the lock. Never throws; a failure is logged as
   * a warning. Calling it again does nothing.
   *
   * @returns When done.
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      const held = await this.#file.stat();
      if (!(await stillNamed(this.path, held))) {
        log.warn("{path} was replaced by another file; left in place", { path: this.path });
        return;
      }
      if (PID_REGEXP.exec(await readHeld(this.#file))?.[1] !== String(this.pid)) {
        log.warn("{path} now names another process; left in place", { path: this.path });
        return;
      }
      // Removed while still locked, so no other stapled takes it in between.
      await Deno.remove(this.path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      log.warn("cannot remove the pid file {path}: {error}", {
        path: this.path,
        error: describeError(err),
      });
    } finally {
      try {
        this.#file.close();
      } catch {
        // already closed
      }
    }
  }
}
