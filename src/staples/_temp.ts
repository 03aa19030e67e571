/**
 * The names of stapled's temp files: `.<staple name>.<random>.tmp` beside the
 * file being replaced. A dotfile, so HAProxy's directory loading and
 * stapled's finder skip it; the exact pattern lets a later start remove what
 * a crash left behind, and nothing else.
 *
 * @module
 */

/**
 * A temp file name of stapled's: a dot, a staple (`….ocsp`) or revocation
 * record (`.….ocsp.revoked`) name, 2 to 14 base-36 characters, `.tmp`.
 */
export const TEMP_NAME_REGEXP = /^\..+\.ocsp(?:\.revoked)?\.[0-9a-z]{2,14}\.tmp$/;

/** The directory part of `path` with its trailing slash ("" for a bare name). */
export function dirPrefixOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash >= 0 ? path.slice(0, slash + 1) : "";
}

/** A fresh temp path beside `path`, matching {@linkcode TEMP_NAME_REGEXP}. */
export function tempPathFor(path: string): string {
  const dir = dirPrefixOf(path);
  const base = path.slice(dir.length);
  const rand = crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), "");
  return `${dir}.${base}.${rand}.tmp`;
}
