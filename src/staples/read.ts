/**
 * Reads a staple file, boundedly: only a regular file (a FIFO, a device or a
 * directory at the staple's path is refused without being read, and is
 * never opened in a way that blocks), and at most the staple size limit.
 * The calls are synchronous (a few KB from a local file, as fast as
 * `Deno.readFile`; the async node:fs forms cost six times more per file).
 * Anything else is "unusable", never an exception: the caller renews the
 * staple as if there were none.
 *
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { MAX_STAPLE_BYTES } from "./limits.ts";

/** What {@linkcode readStaple} found. */
export type StapleRead =
  | { state: "missing" }
  | {
    state: "read";
    bytes: Uint8Array;
    /** The file's {@linkcode fingerprintOf}, when read from a file that did not change while read. */
    fingerprint?: string;
  }
  | { state: "unusable"; reason: string };

/** Options of {@linkcode readStaple}. */
export interface ReadStapleOptions {
  /** Refuse a file larger than this many bytes. @default MAX_STAPLE_BYTES */
  maxBytes?: number;
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  return "not a regular file";
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

function tooLarge(size: number, maxBytes: number): StapleRead {
  return {
    state: "unusable",
    reason: `it holds ${size} bytes, more than the ${maxBytes}-byte staple limit; not read`,
  };
}

/**
 * Reads a staple file. `stat` (which follows symlinks) refuses anything but
 * a regular file before it is opened; the open is non-blocking and `fstat`
 * checks again, so a FIFO swapped in between cannot hang the read; at most
 * `maxBytes + 1` bytes are read, so a file that grows is refused too.
 *
 * @param path The staple file.
 * @param options The size cap.
 * @returns `missing` when there is no such file, `read` with its bytes, or `unusable` with the reason.
 * @throws {RangeError} When `maxBytes` is not a non-negative integer.
 *
 * @example A FIFO is refused, not read
 * ```ts
 * import { readStaple } from "./read.ts";
 * const dir = await Deno.makeTempDir();
 * await new Deno.Command("mkfifo", { args: [`${dir}/site.pem.ocsp`] }).output();
 * const got = await readStaple(`${dir}/site.pem.ocsp`);
 * console.assert(got.state === "unusable");
 * console.assert((await readStaple(`${dir}/none.ocsp`)).state === "missing");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readStaple(
  path: string,
  options: ReadStapleOptions = {},
): Promise<StapleRead> {
  try {
    return Promise.resolve(readStapleSync(path, options));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * A file's fingerprint: its device, inode, size, mtime and ctime (ms), as
 * one string. A file replaced (new inode) or written (new mtime and ctime,
 * even when `touch -d` puts the mtime back) gets another one.
 *
 * @param info The file's `Deno.FileInfo` (from `Deno.statSync` or `FsFile.stat`).
 * @returns The fingerprint.
 *
 * @example
 * ```ts
 * import { fingerprintOf } from "./read.ts";
 * const a = fingerprintOf(Deno.statSync("/etc/hostname"));
 * console.assert(a === fingerprintOf(Deno.statSync("/etc/hostname")));
 * ```
 */
export function fingerprintOf(info: Deno.FileInfo): string {
  return fingerprintFrom({
    dev: info.dev,
    ino: info.ino ?? 0,
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    ctimeMs: info.ctime?.getTime() ?? 0,
  });
}

/**
 * {@linkcode fingerprintOf} from the numbers of a stat (the finder's found
 * files carry them: a file just found needs no second stat).
 *
 * @param f Device, inode, size, mtime and ctime (ms; 0 when unknown).
 * @returns The fingerprint.
 *
 * @example
 * ```ts
 * import { fingerprintFrom, fingerprintOf } from "./read.ts";
 * const info = Deno.statSync("/etc/hostname");
 * const same = fingerprintFrom({
 *   dev: info.dev, ino: info.ino ?? 0, size: info.size,
 *   mtimeMs: info.mtime?.getTime() ?? 0, ctimeMs: info.ctime?.getTime() ?? 0,
 * });
 * console.assert(same === fingerprintOf(info));
 * ```
 */
export function fingerprintFrom(
  f: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs?: number },
): string {
  const b36 = (n: number) => n.toString(36);
  return `${b36(f.dev)}.${b36(f.ino)}.${b36(f.size)}.${b36(f.mtimeMs)}.${b36(f.ctimeMs ?? 0)}`;
}

/**
 * The fingerprint of a file (following symlinks), or undefined when it cannot be read.
 *
 * @param path The file.
 * @returns Device, inode, size, mtime and ctime, as {@linkcode fingerprintOf}.
 *
 * @example
 * ```ts
 * import { fileFingerprint } from "./read.ts";
 * console.assert(fileFingerprint("/nonexistent") === undefined);
 * console.assert(typeof fileFingerprint("/etc/hostname") === "string");
 * ```
 */
export function fileFingerprint(path: string): string | undefined {
  try {
    return fingerprintOf(Deno.statSync(path));
  } catch {
    return undefined;
  }
}

/** The largest file {@linkcode readSmallFileSync} reads. */
const SMALL_FILE_BYTES = 65_536;

let scratch: Uint8Array | undefined;

/**
 * A buffer of `size` bytes for one synchronous read: the shared scratch
 * buffer when it is large enough (a fresh buffer per file is memory V8 is
 * slow to give back), else a new one. Callers copy out what they keep.
 */
function scratchOf(size: number): Uint8Array {
  return size <= SMALL_FILE_BYTES + 1
    ? (scratch ??= new Uint8Array(SMALL_FILE_BYTES + 1))
    : new Uint8Array(size);
}

/** Positioned reads from the start of `fd` into `buf` until `limit` bytes or the end: how many. */
function readFromStart(fd: number, buf: Uint8Array, limit: number): number {
  let got = 0;
  while (got < limit) {
    const n = readSync(fd, buf, got, limit - got, got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * A small file's bytes, read synchronously: a certificate bundle of a few
 * KB is read in microseconds, less than an async `Deno.readFile`'s hop to
 * Deno's blocking thread pool and back costs. The open is non-blocking and
 * positioned reads are used, so a FIFO or a device at the path never hangs
 * the caller, and at most {@linkcode SMALL_FILE_BYTES} + 1 bytes are read.
 * Whenever this cannot give the whole file (an error, an empty file or
 * FIFO, a file larger than that), it returns undefined and the caller reads
 * the file as before (`Deno.readFile`), which reports any error itself.
 *
 * @param path The file.
 * @returns Its bytes (a copy), or undefined.
 *
 * @example
 * ```ts
 * import { readSmallFileSync } from "./read.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/a.pem`, new Uint8Array([1, 2, 3]));
 * console.assert(readSmallFileSync(`${dir}/a.pem`)?.length === 3);
 * console.assert(readSmallFileSync(`${dir}/none.pem`) === undefined);
 * console.assert(readSmallFileSync(dir) === undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readSmallFileSync(path: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const buf = scratchOf(SMALL_FILE_BYTES + 1);
    const got = readFromStart(fd, buf, SMALL_FILE_BYTES + 1);
    return got === 0 || got > SMALL_FILE_BYTES ? undefined : buf.slice(0, got);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function readStapleSync(path: string, options: ReadStapleOptions): StapleRead {
  const { maxBytes = MAX_STAPLE_BYTES } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(
      `Cannot read staple: maxBytes must be a non-negative integer, got ${maxBytes}`,
    );
  }
  // Synchronous (see the module doc): 0.05 ms per staple against 0.24 ms async.
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { state: "missing" };
    return { state: "unusable", reason: `cannot read it: ${(err as Error).message}` };
  }
  if (!info.isFile) return { state: "unusable", reason: `it is ${kindOf(info)}; not read` };
  if (info.size > maxBytes) return tooLarge(info.size, maxBytes);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (errorCode(err) === "ENOENT") return { state: "missing" };
    return { state: "unusable", reason: `cannot read it: ${(err as Error).message}` };
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) {
      return { state: "unusable", reason: "it is not a regular file; not read" };
    }
    if (opened.size > maxBytes) return tooLarge(opened.size, maxBytes);
    const buf = scratchOf(maxBytes + 1);
    const got = readFromStart(fd, buf, maxBytes + 1);
    if (got > maxBytes) return tooLarge(got, maxBytes);
    // The fingerprint is the path's stat before the open: the same file
    // (inode, size) was opened, else none (the file is checked in full).
    const same = opened.ino === info.ino && opened.size === info.size && got === info.size;
    return {
      state: "read",
      bytes: buf.slice(0, got),
      ...(same ? { fingerprint: fingerprintOf(info) } : {}),
    };
  } catch (err) {
    return { state: "unusable", reason: `cannot read it: ${(err as Error).message}` };
  } finally {
    closeSync(fd);
  }
}
