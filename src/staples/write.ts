/**
 * Writes a staple file atomically: a temp file in the same directory, all
 * bytes written and fsynced, renamed over the old staple, then the directory
 * fsynced so that a power cut cannot bring the old staple back. Readers see
 * the old file or the new one, never half of either; a failed write leaves
 * the old staple untouched and no temp file behind. Whatever is at the path
 * (a regular file, a FIFO, a symlink) is replaced by the rename; a directory
 * there is an error.
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

/** fsyncs a directory, so a rename in it survives a power cut. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
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
    file = await Deno.open(temp, { write: true, createNew: true, mode });
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
    file.close();
    file = undefined;
    await Deno.chmod(temp, mode).catch(() => {});
    await Deno.rename(temp, path);
    renamed = true;
    await syncDirectory(dirPrefixOf(path) || ".");
  } catch (err) {
    try {
      file?.close();
    } catch { /* already closed */ }
    if (!renamed) await Deno.remove(temp).catch(() => {});
    const what = renamed
      ? "staple written, but its directory cannot be synced to disk (a power cut may undo it)"
      : "cannot write staple";
    throw new StapleWriteError(path, `${what}: ${(err as Error).message}`, { cause: err });
  }
}
