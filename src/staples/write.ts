/**
 * Writes a staple file atomically: a temp file in the same directory, all
 * bytes written and fsynced, renamed over the old staple, then the directory
 * fsynced so that a power cut cannot bring the old staple back. Readers see
 * the old file or the new one, never half of either; a failed write leaves
 * the old staple untouched and no temp file behind. Whatever is at the path
 * (a regular file, a FIFO, a symlink) is replaced by the rename; a directory
 * there is an error.
 *
 * Concurrent writes into one directory share its fsync: a write resolves only
 * after a directory fsync that began after its own rename, but one fsync
 * covers every rename done before it began (a round running when a rename
 * lands does not count; the next round, started after it, does). The temp
 * file is created with the staple's mode; it is chmodded only when the umask
 * (or a default ACL) left other bits, as an fstat of the new file tells.
 *
 * @module
 */
import { StapleWriteError } from "../errors/mod.ts";
import { dirPrefixOf, tempPathFor } from "./_temp.ts";

/** Options of {@linkcode writeStapleAtomic}. */
export interface WriteStapleOptions {
  /** File mode of the staple (staples are public data). @default 0o644 */
  mode?: number;
}

/** Files up to this size are written with a synchronous write (a staple is at most 10,000 bytes). */
const SYNC_WRITE_BYTES = 65_536;

/** fsyncs a directory, so a rename in it survives a power cut. */
async function syncDirectory(dir: string): Promise<void> {
  // The open is synchronous (no I/O); only the fsync, which waits for the disk, is async.
  const handle = Deno.openSync(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** A directory's fsync rounds: the one under way, and the next one, queued to start when it ends. */
interface DirSyncRounds {
  running?: Promise<void>;
  queued?: Promise<void>;
}

/** The directories with a round running or queued (no entry: none). */
const DIR_SYNC_ROUNDS = new Map<string, DirSyncRounds>();

function ignore(): void {}

/** Starts a round of `dir`'s fsync now. */
function startRound(dir: string, rounds: DirSyncRounds): Promise<void> {
  const round: Promise<void> = syncDirectory(dir).finally(() => {
    if (rounds.running === round) rounds.running = undefined;
    if (!rounds.running && !rounds.queued && DIR_SYNC_ROUNDS.get(dir) === rounds) {
      DIR_SYNC_ROUNDS.delete(dir);
    }
  });
  rounds.running = round;
  return round;
}

/**
 * Resolves after an fsync of `dir` that begins after this call (so after the
 * caller's rename): a round not yet started is joined, a running one is not,
 * since it may have begun before the rename.
 */
function syncDirectoryAfterRename(dir: string): Promise<void> {
  let rounds = DIR_SYNC_ROUNDS.get(dir);
  if (rounds === undefined) {
    rounds = {};
    DIR_SYNC_ROUNDS.set(dir, rounds);
  }
  if (rounds.queued) return rounds.queued;
  if (!rounds.running) return startRound(dir, rounds);
  const these = rounds;
  const queued: Promise<void> = these.running!.then(ignore, ignore).then(() => {
    these.queued = undefined;
    return startRound(dir, these);
  });
  these.queued = queued;
  return queued;
}

/**
 * Atomically replaces `path` with `bytes`.
 *
 * @param path The staple file.
 * @param bytes The DER response (or nothing, for an empty staple).
 * @param options File mode.
 * @throws {StapleWriteError} When the directory is not writable, the disk is full, etc.
 *
 * @example Write a staple, then replace it
 * ```ts
 * import { writeStapleAtomic } from "./write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeStapleAtomic(`${dir}/site.pem.ocsp`, new Uint8Array([0x30, 0x03]));
 * await writeStapleAtomic(`${dir}/site.pem.ocsp`, new Uint8Array());
 * console.assert((await Deno.readFile(`${dir}/site.pem.ocsp`)).length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeStapleAtomic(
  path: string,
  bytes: Uint8Array,
  options: WriteStapleOptions = {},
): Promise<void> {
  const { mode = 0o644 } = options;
  const temp = tempPathFor(path);
  let file: Deno.FsFile | undefined;
  let renamed = false;
  try {
    // The open, the write of a staple's few KB (into the page cache) and the
    // rename are synchronous: each takes microseconds, less than the hop to
    // Deno's blocking thread pool and back an async call costs. The fsyncs,
    // which wait for the disk, are async, and so is the write of a larger
    // file (the state file), not to hold the event loop for long.
    file = Deno.openSync(temp, { write: true, createNew: true, mode });
    // An fstat of the new file (microseconds, no I/O) instead of a chmod every time.
    const created = file.statSync().mode;
    const chmod = created === null || (created & 0o7777) !== mode;
    let written = 0;
    if (bytes.length <= SYNC_WRITE_BYTES) {
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    }
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
    file.close();
    file = undefined;
    if (chmod) await Deno.chmod(temp, mode).catch(ignore);
    Deno.renameSync(temp, path);
    renamed = true;
    await syncDirectoryAfterRename(dirPrefixOf(path) || ".");
  } catch (err) {
    try {
      file?.close();
    } catch { /* already closed */ }
    if (!renamed) await Deno.remove(temp).catch(ignore);
    const what = renamed
      ? "staple written, but its directory cannot be synced to disk (a power cut may undo it)"
      : "cannot write staple";
    throw new StapleWriteError(path, `${what}: ${(err as Error).message}`, { cause: err });
  }
}
