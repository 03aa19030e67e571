/**
 * Reads one HAProxy configuration (a file, or a directory of `*.cfg` read as
 * one) for the certificates it serves and the stats sockets it opens.
 *
 * @module
 */

import { resolve } from "node:path";
import { ConfigError } from "../../errors/mod.ts";
import { listConfigFiles } from "./_config_files.ts";
import { ioReason, resolveIo, type StatInfo } from "./_io.ts";
import { ConfigReader } from "./_reader.ts";
import type { HaproxyConfigResult } from "./types.ts";

/** Options for {@linkcode readHaproxyConfig}. */
export interface ReadHaproxyConfigOptions {
  /**
   * Looks up an environment variable; `undefined` means not set.
   *
   * @default {Deno.env.get} (unset when `--allow-env` is missing)
   */
  env?: (name: string) => string | undefined;
  /**
   * Reads a configuration or crt-list file.
   *
   * @default {Deno.readTextFile}
   */
  readTextFile?: (path: string) => Promise<string>;
  /**
   * Lists a directory of configuration files.
   *
   * @default {Deno.readDir}
   */
  readDir?: (path: string) => AsyncIterable<{ name: string }>;
  /**
   * Stats a path, following symbolic links; must reject with
   * `Deno.errors.NotFound` when the path does not exist.
   *
   * @default {Deno.stat}
   */
  stat?: (path: string) => Promise<StatInfo>;
  /**
   * Directory a relative `path` argument is resolved against.
   *
   * @default {Deno.cwd()}
   */
  cwd?: string;
  /**
   * HAProxy version `version_atleast()` / `version_before()` compare with;
   * a partial version (`"2.6"`) leaves finer comparisons undecided.
   *
   * @default {"2.6"}
   */
  haproxyVersion?: string;
}

/**
 * Reads a HAProxy configuration file, or a directory whose `*.cfg` files
 * (not starting with `.`, regular files, byte order) HAProxy reads as one
 * configuration, as `haproxy -f <path>` would.
 *
 * It follows HAProxy 2.6's syntax (see `tokenizeHaproxyLine()`), takes
 * `.if`/`.elif`/`.else`/`.endif` blocks (both branches, with a warning, when
 * a condition cannot be evaluated), and collects every `crt`, `crt-list` and
 * `default-crt` of `bind` lines in frontend/listen/peers/log-forward sections,
 * the certificates listed in crt-lists, and the `stats socket` lines of
 * `global`. Unknown directives are ignored; malformed lines give warnings
 * (`"file:line: message"`); no content makes it throw.
 *
 * Paths: a relative `crt` or crt-list entry is joined to `crt-base` (if set)
 * with `/`, as HAProxy does; what is still relative is resolved against the
 * configuration file's directory. HAProxy itself resolves it against its
 * working directory (`/` under systemd) unless `default-path` says otherwise;
 * `default-path config`, `parent` and `origin <dir>` are honoured, `current`
 * is taken as the file's directory. A crt-list's own path does not get
 * `crt-base`. Directories are reported as `kind: "dir"`, not expanded. A
 * missing `crt` is reported as a file with a warning, unless its bundle
 * files (`<crt>.rsa`, `.ecdsa`, `.dsa`) exist, which are reported instead.
 *
 * Failures: an unreadable configuration file or directory is a
 * `ConfigError` (HAProxy cannot start either); an unreadable crt-list is a
 * warning and the rest is kept. A stats socket without `level admin` is kept
 * with a warning (stapled cannot set staples through it).
 *
 * @param path The configuration file or directory.
 * @param options I/O, environment and assumed HAProxy version.
 * @returns The configuration's certificates, sockets and warnings.
 * @throws {ConfigError} When the configuration cannot be read.
 * @throws {RangeError} When `cwd` is not absolute or `haproxyVersion` is not a version.
 *
 * @example Debian's stock configuration
 * ```ts
 * import { readHaproxyConfig } from "./read_config.ts";
 * const { certs, sockets } = await readHaproxyConfig("/etc/haproxy/haproxy.cfg");
 * // certs: [], sockets: [{ transport: "unix", path: "/run/haproxy/admin.sock", level: "admin" }]
 * ```
 */
export async function readHaproxyConfig(
  path: string,
  options: ReadHaproxyConfigOptions = {},
): Promise<HaproxyConfigResult> {
  const io = resolveIo(options);
  const { files, warnings } = await listConfigFiles(resolve(io.cwd, path), io);
  const reader = new ConfigReader(io);
  warnings.forEach((warning) => reader.warn(warning));
  for (const file of files) {
    let text: string;
    try {
      text = await io.readTextFile(file);
    } catch (err) {
      throw new ConfigError(file, `cannot read HAProxy config: ${ioReason(err)}`, { cause: err });
    }
    await reader.readFile(file, text);
  }
  return reader.result(files);
}
