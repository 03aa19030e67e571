/**
 * Lists the files HAProxy reads for one `-f` argument: the file itself, or a
 * directory's `*.cfg` files in sorted order (src/haproxy.c).
 *
 * @module
 */

import { ConfigError } from "../../errors/mod.ts";
import { type ConfigIo, ioReason } from "./_io.ts";

const encoder = new TextEncoder();

/** Orders names as C's `strcmp()` (and `alphasort()` in the C locale) does. */
function byteOrder(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/** HAProxy keeps a name when it does not start with `.` and its first `.cfg` ends it. */
function isConfigName(name: string): boolean {
  const at = name.indexOf(".cfg");
  return !name.startsWith(".") && at >= 0 && at + ".cfg".length === name.length;
}

/**
 * Lists the configuration files for one path.
 *
 * @param path Absolute path of a file or directory.
 * @param io I/O to use.
 * @returns The files, and a warning when a directory holds none.
 * @throws {ConfigError} When the path, the directory or one of its `*.cfg` cannot be read.
 */
export async function listConfigFiles(
  path: string,
  io: ConfigIo,
): Promise<{ files: string[]; warnings: string[] }> {
  async function stat(file: string) {
    try {
      return await io.stat(file);
    } catch (err) {
      throw new ConfigError(file, `cannot read HAProxy config: ${ioReason(err)}`, { cause: err });
    }
  }
  if (!(await stat(path)).isDirectory) return { files: [path], warnings: [] };
  const names: string[] = [];
  try {
    for await (const entry of io.readDir(path)) {
      if (isConfigName(entry.name)) names.push(entry.name);
    }
  } catch (err) {
    throw new ConfigError(path, `cannot list HAProxy config directory: ${ioReason(err)}`, {
      cause: err,
    });
  }
  const files: string[] = [];
  for (const name of names.sort(byteOrder)) {
    const file = `${path.replace(/\/+$/, "")}/${name}`;
    if ((await stat(file)).isFile) files.push(file);
  }
  const warnings = files.length ? [] : [`${path}: no *.cfg file in this directory`];
  return { files, warnings };
}
