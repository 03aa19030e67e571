/**
 * Checks and compiles the finder's options once, so a scanner that walks every
 * minute does not redo (or re-warn about) it.
 *
 * @module
 */

import { resolve } from "node:path";
import { resolveFs } from "./_fs.ts";
import { DEFAULT_EXTENSIONS, normalizeExtensions } from "./_names.ts";
import { compileIgnore, type IgnoreMatcher } from "./ignore.ts";
import type { FinderFs, FindOptions } from "./types.ts";

/** The finder's options, checked and compiled. */
export interface CompiledFind {
  /** Absolute, normalised cert paths without duplicates, in the order given. */
  roots: string[];
  /** Normalised extensions. */
  extensions: ReadonlySet<string>;
  /** Whether to descend into subdirectories. */
  recursive: boolean;
  /** The compiled ignore patterns (with their warnings). */
  ignore: IgnoreMatcher;
  /** The file system calls. */
  fs: FinderFs;
}

/**
 * Checks and compiles cert paths and options.
 *
 * @param paths Cert paths, absolute or relative to `options.cwd`.
 * @param options The options.
 * @returns The compiled settings.
 * @throws {RangeError} A path is empty, or an extension is unusable.
 */
export function compileFindOptions(
  paths: readonly string[],
  options: FindOptions = {},
): CompiledFind {
  const {
    extensions = DEFAULT_EXTENSIONS,
    recursive = false,
    ignore = [],
    cwd = Deno.cwd(),
    fs,
  } = options;
  if (paths.some((path) => path === "")) {
    throw new RangeError("Cannot find certificate files: a cert path is empty");
  }
  return {
    roots: [...new Set(paths.map((path) => resolve(cwd, path)))],
    extensions: normalizeExtensions(extensions),
    recursive,
    ignore: compileIgnore(ignore),
    fs: resolveFs(fs),
  };
}
