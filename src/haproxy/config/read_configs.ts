/**
 * Reads several HAProxy configurations given separately (`--haproxy-config
 * a.cfg b.cfg`), each on its own.
 *
 * @module
 */

import { readHaproxyConfig, type ReadHaproxyConfigOptions } from "./read_config.ts";
import type { HaproxyConfigResult } from "./types.ts";

/**
 * Reads each path as its own configuration, so each result's certificates
 * belong with that result's sockets (a directory counts as one
 * configuration, as HAProxy reads it as one).
 *
 * @param paths Configuration files or directories.
 * @param options As for `readHaproxyConfig()`.
 * @returns One result per path, in order.
 * @throws {ConfigError} When any configuration cannot be read.
 * @throws {RangeError} When the options are invalid.
 *
 * @example Two HAProxy instances
 * ```ts
 * import { readHaproxyConfigs } from "./read_configs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/one.cfg`, "global\n    stats socket /run/one.sock level admin\n");
 * await Deno.writeTextFile(`${dir}/two.cfg`, "global\n    stats socket /run/two.sock level admin\n");
 * const [one, two] = await readHaproxyConfigs([`${dir}/one.cfg`, `${dir}/two.cfg`]);
 * // one.certs go to one.sockets (/run/one.sock), two.certs to two.sockets (/run/two.sock)
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readHaproxyConfigs(
  paths: readonly string[],
  options: ReadHaproxyConfigOptions = {},
): Promise<HaproxyConfigResult[]> {
  const results: HaproxyConfigResult[] = [];
  for (const path of paths) results.push(await readHaproxyConfig(path, options));
  return results;
}
