/**
 * Compiles the operator's `--ignore` patterns into one path matcher, after the
 * original stapled: `*` and `?` globs; a pattern starting with `/` is matched
 * against the whole absolute path, any other against the path's last whole
 * components; patterns that look like relative paths are refused with a warning.
 *
 * @module
 */

import picomatch from "picomatch";

/** `.` or `..` as a whole path component: the mark of a relative path. */
const RELATIVE_PATH_REGEXP = /(^|\/)\.\.?(\/|$)/;
/** Trailing slashes, dropped so `private/` prunes the directory `private`. */
const TRAILING_SLASHES_REGEXP = /(?<=.)\/+$/;

/** picomatch settings: dotfiles match like any name; a leading `!` is literal. */
const PICOMATCH_OPTIONS: picomatch.PicomatchOptions = { dot: true, nonegate: true };

/** What {@linkcode compileIgnore} returns. */
export interface IgnoreMatcher {
  /**
   * Whether a pattern matches this absolute path itself. The finder asks this
   * of every entry it meets, so a matched directory is pruned.
   *
   * @param path An absolute, normalised path.
   * @returns True when the path is ignored.
   */
  matches(path: string): boolean;
  /**
   * Whether a pattern matches this absolute path or one of its ancestors,
   * i.e. whether a walk from `/` would never reach it. Used for the paths the
   * operator gives.
   *
   * @param path An absolute, normalised path.
   * @returns True when the path lies in (or is) an ignored place.
   */
  covers(path: string): boolean;
  /** One line per pattern that was refused, saying why. */
  readonly warnings: readonly string[];
}

/**
 * Compiles ignore patterns. `*` and `?` match within one path component
 * (`**` spans several); the rest of picomatch's syntax (`[ab]`, `{a,b}`) works
 * too, but a leading `!` does not negate. A pattern starting with `/` must
 * match the whole absolute path; any other pattern must match the path's last
 * whole components, so `cert/snakeoil.pem` matches `/etc/ssl/cert/snakeoil.pem`
 * and `snakeoil.pem` does not match `/etc/ssl/not-snakeoil.pem`. A pattern with
 * `.` or `..` as a component (`../certs/*.pem`, `./x.pem`) or an empty one is
 * not used and gets a warning.
 *
 * @param patterns The patterns as the operator wrote them.
 * @returns The matcher and its warnings.
 *
 * @example Ignore a private directory and one file
 * ```ts
 * const ignore = compileIgnore(["/etc/ssl/private", "cert/snakeoil.pem"]);
 * ignore.matches("/etc/ssl/cert/snakeoil.pem"); // true
 * ignore.matches("/etc/ssl/cert/not-snakeoil.pem"); // false
 * ignore.covers("/etc/ssl/private/a.pem"); // true
 * ```
 */
export function compileIgnore(patterns: readonly string[]): IgnoreMatcher {
  const warnings: string[] = [];
  const absolute: string[] = [];
  const lastComponents: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.replace(TRAILING_SLASHES_REGEXP, "");
    if (pattern === "") {
      warnings.push(`ignore pattern "${raw}" is empty: it is not used`);
    } else if (RELATIVE_PATH_REGEXP.test(pattern)) {
      warnings.push(
        `ignore pattern "${raw}" looks like a relative path, not a pattern: it is not used`,
      );
    } else if (pattern.startsWith("/")) {
      absolute.push(pattern);
    } else {
      lastComponents.push(`**/${pattern}`);
    }
  }
  const matchAbsolute = absolute.length ? picomatch(absolute, PICOMATCH_OPTIONS) : null;
  const matchLast = lastComponents.length ? picomatch(lastComponents, PICOMATCH_OPTIONS) : null;

  function matches(path: string): boolean {
    if (matchAbsolute?.(path)) return true;
    return matchLast !== null && matchLast(path.replace(/^\/+/, ""));
  }

  function covers(path: string): boolean {
    if (matchAbsolute === null && matchLast === null) return false;
    for (let at = path.length; at > 0; at = path.lastIndexOf("/", at - 1)) {
      if (matches(path.slice(0, at))) return true;
    }
    return matches("/");
  }

  return { matches, covers, warnings };
}
