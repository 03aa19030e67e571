/**
 * Splits one line of a HAProxy configuration into words, exactly as HAProxy
 * 2.6's `parse_line()` (src/tools.c) does for configuration files.
 *
 * @module
 */

/** HAProxy's `MAX_LINE_ARGS`: a line may hold at most this many words. */
export const MAX_LINE_WORDS = 64;

/**
 * The most characters the words of one line may hold, after variables are
 * expanded: 64 KiB. HAProxy 2.6 itself has no limit (`readcfgfile()` doubles
 * its line buffer from `LINESIZE`, 2048, and grows the output of
 * `parse_line()` as needed), but its longest fixed line, a crt-list line
 * (`CRT_LINESIZE`), is 65536 bytes, and no real configuration line comes
 * close. The cap keeps a variable expanded many times on one line from
 * exhausting memory.
 */
export const MAX_EXPANDED_LINE = 65_536;

/** Options for {@linkcode tokenizeHaproxyLine}. */
export interface TokenizeHaproxyLineOptions {
  /**
   * Looks up an environment variable; `undefined` means not set.
   *
   * @default {() => undefined} (no variable is set)
   */
  env?: (name: string) => string | undefined;
  /**
   * Value of the `.FILE` pseudo-variable.
   *
   * @default {""}
   */
  file?: string;
  /**
   * Value of the `.LINE` pseudo-variable.
   *
   * @default {0}
   */
  lineNumber?: number;
  /**
   * Value of the `.SECTION` pseudo-variable.
   *
   * @default {""}
   */
  section?: string;
}

/** The words of one line, or why HAProxy would reject the line. */
export interface TokenizedLine {
  /** The words, unquoted and unescaped; empty for a blank or comment line. */
  words: string[];
  /** Set when HAProxy rejects the line (it then ignores it); `words` is then empty. */
  error?: string;
}

const SPACE_REGEXP = /[ \t\n\v\f\r]/;
const NAME_START_REGEXP = /[A-Za-z_.]/;
const NAME_CHAR_REGEXP = /[A-Za-z0-9_]/;
const HEX_REGEXP = /[0-9A-Fa-f]/;

function isSpace(c: string | undefined): boolean {
  return c !== undefined && SPACE_REGEXP.test(c);
}

function matches(re: RegExp, c: string | undefined): boolean {
  return c !== undefined && re.test(c);
}

class TokenizeError extends Error {}

/**
 * Splits a configuration line into words with HAProxy's rules: words end at
 * unescaped, unquoted white space; an unquoted `#` starts a comment (even
 * inside a word); `\` escapes a space, `#`, `\`, `'`, `"`, and gives `\t`,
 * `\n`, `\r`, `\xNN` (other pairs such as `\1` are kept as they are, and a
 * `$` is only escapable inside double quotes); `"..."` keeps spaces and
 * expands `$VAR`, `${VAR}`, `${VAR-default}` (default used only when the
 * variable is unset) and `${VAR[*]}` (one word per space-separated item);
 * `'...'` keeps everything literally. A line ends at LF, CR or NUL; there is
 * no line continuation (a trailing `\` is a literal backslash). An empty word
 * at the very end (`a ""`) is dropped, as HAProxy does. A line whose words
 * would hold more than {@linkcode MAX_EXPANDED_LINE} characters (a
 * `${VAR[*]}` value counted with its spaces) is rejected as soon as the limit
 * is passed, without expanding the rest.
 *
 * @param line One line, without its line feed.
 * @param options Variables and pseudo-variables.
 * @returns The words, or the reason HAProxy would reject the line.
 * @throws Never.
 *
 * @example Quotes, escapes and variables
 * ```ts
 * import { tokenizeHaproxyLine } from "./tokenize_line.ts";
 * const { words } = tokenizeHaproxyLine(`bind :443 crt "\${DIR-/etc/ssl}/a b.pem" # tls`);
 * // words: ["bind", ":443", "crt", "/etc/ssl/a b.pem"]
 * ```
 */
export function tokenizeHaproxyLine(
  line: string,
  options: TokenizeHaproxyLineOptions = {},
): TokenizedLine {
  try {
    return { words: split(line, options) };
  } catch (err) {
    if (err instanceof TokenizeError) return { words: [], error: err.message };
    throw err;
  }
}

function split(line: string, options: TokenizeHaproxyLineOptions): string[] {
  const { env = () => undefined, file = "", lineNumber = 0, section = "" } = options;
  const words: string[] = [];
  let word = "";
  let squote = false;
  let dquote = false;
  let quoteAt = -1;
  let tooMany = false;
  let i = 0;
  /** Characters in `words` so far (not counting `word`). */
  let done = 0;

  function endWord(): void {
    words.push(word);
    done += word.length;
    word = "";
    if (words.length >= MAX_LINE_WORDS) tooMany = true;
  }
  function checkLength(adding: number): void {
    if (done + word.length + adding > MAX_EXPANDED_LINE) {
      throw new TokenizeError(
        `line longer than ${MAX_EXPANDED_LINE} characters after variable expansion`,
      );
    }
  }
  function fail(what: string, at: number): never {
    throw new TokenizeError(`${what} at position ${at + 1}`);
  }

  while (isSpace(line[i])) i++;
  while (i < line.length) {
    checkLength(0);
    const c = line[i];
    if (c === "\0" || c === "\n" || c === "\r") break;
    if (c === "#" && !squote && !dquote) break;
    if (c === '"' && !squote) {
      dquote = !dquote;
      quoteAt = i++;
      continue;
    }
    if (c === "'" && !dquote) {
      squote = !squote;
      quoteAt = i++;
      continue;
    }
    if (c === "\\" && !squote) {
      const next = line[i + 1];
      if (next === " " || next === "\\" || next === "#" || next === "'" || next === '"') {
        word += next;
        i += 2;
      } else if (next === "t" || next === "n" || next === "r") {
        word += next === "t" ? "\t" : next === "n" ? "\n" : "\r";
        i += 2;
      } else if (next === "$" && dquote) {
        word += "$";
        i += 2;
      } else if (next === "x") {
        if (!matches(HEX_REGEXP, line[i + 2]) || !matches(HEX_REGEXP, line[i + 3])) {
          fail("truncated or invalid hexadecimal sequence", i);
        }
        word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        word += "\\";
        i += 1;
      }
      continue;
    }
    if (isSpace(c) && !squote && !dquote) {
      while (isSpace(line[i])) i++;
      endWord();
      continue;
    }
    if (c === "$" && dquote) {
      i = expandVariable(i + 1);
      continue;
    }
    word += c;
    i++;
  }

  function expandVariable(start: number): number {
    let j = start;
    const brace = line[j] === "{";
    if (brace) j++;
    if (!matches(NAME_START_REGEXP, line[j])) {
      fail("forbidden first char in environment variable name", j);
    }
    const nameStart = j;
    if (line[j] === ".") j++;
    while (matches(NAME_CHAR_REGEXP, line[j])) j++;
    const name = line.slice(nameStart, j);
    let value: string | undefined;
    if (name.startsWith(".")) {
      if (name === ".LINE") value = String(lineNumber);
      else if (name === ".FILE") value = file;
      else if (name === ".SECTION") value = section;
      else fail("forbidden first char in environment variable name", nameStart);
    } else {
      value = env(name);
    }
    let expand = false;
    if (line[j] === "[" && brace) {
      if (line[j + 1] !== "*" || line[j + 2] !== "]") {
        fail("truncated or invalid word expansion sequence", j);
      }
      expand = true;
      j += 3;
    }
    if (brace) {
      if (line[j] === "-") {
        const close = line.indexOf("}", j);
        if (close < 0) fail("unmatched brace in environment variable name", start);
        if (value === undefined) value = line.slice(j + 1, close);
        j = close;
      } else if (line[j] !== "}") {
        fail("unmatched brace in environment variable name", start);
      }
      j++;
    }
    emitValue(value ?? "", expand);
    return j;
  }

  function emitValue(value: string, expand: boolean): void {
    // Checked before copying; a `${VAR[*]}` value counts with its spaces.
    checkLength(value.length);
    if (!expand) {
      word += value;
      return;
    }
    let k = 0;
    while (k < value.length) {
      if (expand && isSpace(value[k])) {
        endWord();
        while (isSpace(value[++k]));
      } else {
        word += value[k++];
      }
    }
  }

  checkLength(0);
  if (word !== "") words.push(word);
  if (squote || dquote) fail("unmatched quote", quoteAt);
  if (tooMany) {
    throw new TokenizeError(`too many words, HAProxy accepts at most ${MAX_LINE_WORDS}`);
  }
  return words.map((w) => {
    const nul = w.indexOf("\0");
    return nul < 0 ? w : w.slice(0, nul);
  });
}
