/**
 * Finds the name HAProxy knows a certificate file by, among the files
 * `show ssl cert` lists: the same path, else the same file by real path
 * (symlinks, `..`, relative paths).
 *
 * @module
 */

/**
 * The listed file that is `certPath`, or `undefined`.
 *
 * @param listed The files HAProxy lists.
 * @param certPath The file that was stapled.
 * @param realPath Resolves a path to its real path; failures mean "no match".
 * @returns The matching listed path.
 *
 * @example Find a file HAProxy lists under another name
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLoadedCertPath } from "./_cert_path.ts";
 * const realPath = (path: string) => Promise.resolve(path.replace("/link/", "/real/"));
 * const found = await findLoadedCertPath(["/real/a.pem"], "/link/a.pem", realPath);
 * assert.ok(found === "/real/a.pem");
 * ```
 */
export async function findLoadedCertPath(
  listed: readonly string[],
  certPath: string,
  realPath: (path: string) => Promise<string>,
): Promise<string | undefined> {
  if (listed.includes(certPath)) return certPath;
  const wanted = await realPathOrUndefined(realPath, certPath);
  if (wanted === undefined) return undefined;
  for (const path of listed) {
    if (await realPathOrUndefined(realPath, path) === wanted) return path;
  }
  return undefined;
}

async function realPathOrUndefined(
  realPath: (path: string) => Promise<string>,
  path: string,
): Promise<string | undefined> {
  try {
    return await realPath(path);
  } catch {
    return undefined;
  }
}
