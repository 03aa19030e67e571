/**
 * The outside world `readHaproxyConfig()` touches, with Deno's defaults, so
 * tests can pass their own.
 *
 * @module
 */

import { isAbsolute } from "node:path";

/** File information the reader needs. */
export interface StatInfo {
  /** A regular file (after following symbolic links). */
  isFile: boolean;
  /** A directory (after following symbolic links). */
  isDirectory: boolean;
}

/** I/O and environment used while reading a configuration. */
export interface ConfigIo {
  env: (name: string) => string | undefined;
  readTextFile: (path: string) => Promise<string>;
  readDir: (path: string) => AsyncIterable<{ name: string }>;
  stat: (path: string) => Promise<StatInfo>;
  cwd: string;
  haproxyVersion: string;
}

const VERSION_REGEXP = /^\d+(\.\d+)*/;

function denoEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Fills in the defaults and validates the options.
 *
 * @param options The caller's options.
 * @returns Complete I/O.
 * @throws {RangeError} When `cwd` is not absolute or `haproxyVersion` is not a version.
 */
export function resolveIo(options: Partial<ConfigIo>): ConfigIo {
  const {
    env = denoEnv,
    readTextFile = Deno.readTextFile,
    readDir = Deno.readDir,
    stat = Deno.stat,
    cwd = Deno.cwd(),
    haproxyVersion = "2.6",
  } = options;
  if (!isAbsolute(cwd)) {
    throw new RangeError(`Cannot read HAProxy config: cwd '${cwd}' is not an absolute path`);
  }
  if (!VERSION_REGEXP.test(haproxyVersion)) {
    throw new RangeError(
      `Cannot read HAProxy config: haproxyVersion '${haproxyVersion}' is not a version`,
    );
  }
  return { env, readTextFile, readDir, stat, cwd, haproxyVersion };
}

/**
 * Says in a few words why a file operation failed.
 *
 * @param err What was thrown.
 * @returns A short reason.
 */
export function ioReason(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  if (err instanceof Deno.errors.NotCapable) return "not allowed (missing --allow-read)";
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0];
}
