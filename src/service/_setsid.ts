/**
 * Finds util-linux's `setsid`, which starts a program in a new session (and
 * so a new process group): Deno's `Deno.Command` cannot do that itself.
 *
 * @module
 */

/** Where `setsid` is looked for, in order. */
export const SETSID_PATHS: readonly string[] = ["/usr/bin/setsid", "/bin/setsid"];

/**
 * The first `setsid` found.
 *
 * @param paths Where to look.
 * @returns Its path, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { findSetsid } from "./_setsid.ts";
 * console.log(await findSetsid()); // "/usr/bin/setsid" (where util-linux is installed)
 * console.log(await findSetsid(["/nonexistent/setsid"])); // undefined
 * ```
 */
export async function findSetsid(
  paths: readonly string[] = SETSID_PATHS,
): Promise<string | undefined> {
  for (const path of paths) {
    try {
      const info = await Deno.stat(path);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}
