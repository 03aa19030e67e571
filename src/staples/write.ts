/**
 * Writes a staple file atomically: a temp file in the same directory, all
 * bytes written and fsynced, then renamed over the old staple. Readers see
 * the old file or the new one, never half of either; a failed write leaves
 * the old staple untouched and no temp file behind.
 *
 * @module
 */
import { StapleWriteError } from "../errors/mod.ts";

/** Options of {@linkcode writeStapleAtomic}. */
export interface WriteStapleOptions {
  /** File mode of the staple (staples are public data). @default 0o644 */
  mode?: number;
}

function tempPathFor(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const base = path.slice(slash + 1);
  const rand = crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), "");
  // A dotfile, so finders and HAProxy's directory loading skip it.
  return `${dir}.${base}.${rand}.tmp`;
}

/**
 * Atomically replaces `path` with `bytes`.
 *
 * @param path The staple file.
 * @param bytes The DER response (or nothing, for an empty staple).
 * @param options File mode.
 * @throws {StapleWriteError} When the directory is not writable, the disk is full, etc.
 */
export async function writeStapleAtomic(
  path: string,
  bytes: Uint8Array,
  options: WriteStapleOptions = {},
): Promise<void> {
  const { mode = 0o644 } = options;
  const temp = tempPathFor(path);
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temp, { write: true, createNew: true, mode });
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
    file.close();
    file = undefined;
    await Deno.chmod(temp, mode).catch(() => {});
    await Deno.rename(temp, path);
  } catch (err) {
    try {
      file?.close();
    } catch { /* already closed */ }
    await Deno.remove(temp).catch(() => {});
    throw new StapleWriteError(path, `cannot write staple: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Reads a staple file.
 *
 * @param path The staple file.
 * @returns Its bytes, or undefined when there is no such file.
 * @throws {Deno.errors.PermissionDenied} And other read errors except NotFound.
 */
export async function readStaple(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}
