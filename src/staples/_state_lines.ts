/**
 * The state file's lines kept as the file's text itself, found by a hash of
 * each line's path: per certificate file, a number in a map and its line in
 * one string, where a map of path strings to row strings would hold a copy
 * of every path (the engine has its own) and a string per row.
 *
 * A line is `<path as a JSON string>\t<staple row>\t<bundle row>`. Lines
 * that are not (or whose path is not written as `JSON.stringify` writes
 * it) are not indexed; of two lines of the same path, the last counts.
 *
 * @module
 */

const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;

/**
 * A hash (FNV-1a, 30 bits: a small integer) of `text[start..end)` (the
 * constructor computes the same inline).
 *
 * @param text The text.
 * @param start Where the hashed part starts.
 * @param end Where it ends (exclusive).
 * @returns The hash.
 */
export function hashOf(text: string, start = 0, end = text.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/**
 * Whether `text[start..end)` is a path as `JSON.stringify` writes it.
 *
 * @param escaped Whether it holds a backslash.
 */
function canonicalPath(text: string, start: number, end: number, escaped: boolean): boolean {
  if (end - start < 2 || text.charCodeAt(start) !== QUOTE || text.charCodeAt(end - 1) !== QUOTE) {
    return false;
  }
  if (!escaped) return true; // nothing escaped: JSON.stringify leaves it as is
  const quoted = text.slice(start, end);
  try {
    const p = JSON.parse(quoted);
    return typeof p === "string" && JSON.stringify(p) === quoted;
  } catch {
    return false;
  }
}

/**
 * The lines of a state file, by path.
 *
 * @example
 * ```ts
 * import { StateLines } from "./_state_lines.ts";
 * const lines = new StateLines('{"schema":3}\n"/etc/ssl/a.pem"\tstaple\tbundle\n', 13);
 * console.assert(lines.row(JSON.stringify("/etc/ssl/a.pem")) === "staple\tbundle");
 * console.assert(lines.row(JSON.stringify("/etc/ssl/b.pem")) === undefined && lines.size === 1);
 * ```
 */
export class StateLines {
  #text: string;
  /** By the hash of a line's quoted path: where the line starts (several on a collision). */
  #index = new Map<number, number | number[]>();

  /**
   * Indexes the lines of `text` from `from` on.
   *
   * @param text The file's text.
   * @param from Where its first line of a certificate starts (after the header).
   */
  constructor(text = "", from = 0) {
    this.#text = text;
    for (let start = from; start < text.length;) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      const tab = text.indexOf("\t", start);
      if (tab > start && tab < end) {
        const second = text.indexOf("\t", tab + 1);
        if (second > 0 && second < end) {
          let h = 0x811c9dc5;
          let escaped = false;
          for (let i = start; i < tab; i++) {
            const c = text.charCodeAt(i);
            if (c === BACKSLASH) escaped = true;
            h = Math.imul(h ^ c, 0x01000193);
          }
          if (canonicalPath(text, start, tab, escaped)) {
            this.#add(h & 0x3fffffff, start, tab - start);
          }
        }
      }
      start = end + 1;
    }
  }

  /** How many lines are indexed. */
  get size(): number {
    let n = 0;
    for (const at of this.#index.values()) n += typeof at === "number" ? 1 : at.length;
    return n;
  }

  #add(hash: number, start: number, quotedLength: number): void {
    const known = this.#index.get(hash);
    if (known === undefined) {
      this.#index.set(hash, start);
      return;
    }
    const quoted = this.#text.slice(start, start + quotedLength + 1); // with its tab
    const others = (typeof known === "number" ? [known] : known)
      .filter((at) => !this.#text.startsWith(quoted, at)); // an earlier line of the same path
    others.push(start);
    this.#index.set(hash, others.length === 1 ? others[0] : others);
  }

  /** Where the line of a quoted path starts, or -1. */
  #find(quoted: string, hash: number): number {
    const known = this.#index.get(hash);
    if (known === undefined) return -1;
    for (const at of typeof known === "number" ? [known] : known) {
      if (
        this.#text.charCodeAt(at + quoted.length) === TAB && this.#text.startsWith(quoted, at)
      ) {
        return at;
      }
    }
    return -1;
  }

  /**
   * The rest of a path's line (after the path and its tab).
   *
   * @param quoted The path as `JSON.stringify` writes it.
   * @returns `<staple row>\t<bundle row>`, or undefined when there is no line.
   */
  row(quoted: string): string | undefined {
    const at = this.#find(quoted, hashOf(quoted));
    if (at < 0) return undefined;
    let end = this.#text.indexOf("\n", at);
    if (end < 0) end = this.#text.length;
    return this.#text.slice(at + quoted.length + 1, end);
  }

  /**
   * Every indexed line, in the file's order, but those of the paths
   * skipped.
   *
   * @param skip Quoted paths whose lines are left out.
   * @returns The lines, without their newline.
   */
  lines(skip: ReadonlySet<string> = new Set()): string[] {
    const skipped = new Set<number>();
    for (const quoted of skip) {
      const at = this.#find(quoted, hashOf(quoted));
      if (at >= 0) skipped.add(at);
    }
    const starts: number[] = [];
    for (const at of this.#index.values()) {
      if (typeof at === "number") starts.push(at);
      else starts.push(...at);
    }
    starts.sort((a, b) => a - b);
    const out: string[] = [];
    for (const at of starts) {
      if (skipped.has(at)) continue;
      const end = this.#text.indexOf("\n", at);
      out.push(this.#text.slice(at, end < 0 ? this.#text.length : end));
    }
    return out;
  }
}
