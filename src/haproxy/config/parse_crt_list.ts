/**
 * Reads the text of a HAProxy crt-list file as HAProxy 2.6's
 * `crtlist_parse_file()` (src/ssl_crtlist.c) does.
 *
 * @module
 */

/** One certificate line of a crt-list. */
export interface CrtListEntry {
  /** The certificate path as written (not yet joined to `crt-base`). */
  path: string;
  /** 1-based line number in the crt-list file. */
  line: number;
  /** The words between `[` and `]` (SSL bind options), if any. */
  options: string[];
  /** The SNI filters after the path or the options. */
  filters: string[];
}

/** The entries of a crt-list and what is wrong with it. */
export interface CrtListParseResult {
  /** Certificate lines, in file order. */
  entries: CrtListEntry[];
  /** One line each, `"file:line: message"`. */
  warnings: string[];
}

const SPACE_REGEXP = /[ \t\n\v\f\r]/;

/**
 * Parses a crt-list: one certificate per line, `<path> [<options>...]
 * [[!]<filter>...]`. Lines whose first character is `#` and blank lines are
 * skipped. Words are split on white space only (no quotes, no escapes, no
 * variables), and `[` / `]` also split words. A line that HAProxy rejects
 * (`[` before the path, a second `[` or `]`, `]` without `[`) gives a warning
 * and no entry. HAProxy reads an indented `#` as a certificate path and
 * rejects a file whose last line has no line feed; both give a warning here,
 * the indented comment is skipped and the last line is kept.
 *
 * @param text The crt-list file's contents.
 * @param file The crt-list file's name, for warnings.
 * @returns The entries and warnings.
 * @throws Never.
 *
 * @example Options and filters
 * ```ts
 * import { parseCrtList } from "./parse_crt_list.ts";
 * const { entries } = parseCrtList("site.pem [alpn h2] www.example.org !old.example.org\n", "list.txt");
 * // entries[0]: { path: "site.pem", line: 1, options: ["alpn", "h2"],
 * //               filters: ["www.example.org", "!old.example.org"] }
 * ```
 */
export function parseCrtList(text: string, file: string): CrtListParseResult {
  const entries: CrtListEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split("\n");
  const missingLf = lines[lines.length - 1] !== "";
  if (!missingLf) lines.pop();

  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const where = `${file}:${lineNumber}`;
    let line = raw;
    const nul = line.indexOf("\0");
    if (nul >= 0) {
      warnings.push(`${where}: stray NUL character; HAProxy stops reading the file here`);
      line = line.slice(0, nul);
    }
    if (line.startsWith("#") || line.startsWith("\r")) return;
    const trimmed = line.replace(/^[ \t\n\v\f\r]+/, "");
    if (trimmed.startsWith("#")) {
      warnings.push(`${where}: indented comment; HAProxy reads '#' as a certificate path`);
      return;
    }
    const parsed = parseCrtListLine(line);
    if (typeof parsed === "string") {
      warnings.push(`${where}: ${parsed}`);
      return;
    }
    if (parsed === undefined) return;
    const { unclosed, ...entry } = parsed;
    entries.push({ ...entry, line: lineNumber });
    if (unclosed) {
      warnings.push(`${where}: '[' without ']'; HAProxy takes the options as SNI filters`);
    }
  });

  if (missingLf && lines.length > 0) {
    warnings.push(
      `${file}:${lines.length}: no line feed at the end of the last line; HAProxy 2.6 rejects the file`,
    );
  }
  return { entries, warnings };
}

interface ParsedLine {
  path: string;
  options: string[];
  filters: string[];
  unclosed: boolean;
}

/** Returns the parsed line, `undefined` for a blank line, or an error message. */
function parseCrtListLine(line: string): ParsedLine | string | undefined {
  const args: string[] = [];
  let optionsStart = 0;
  let optionsEnd = 0;
  let current: string | undefined;
  function flush(): void {
    if (current !== undefined) args.push(current);
    current = undefined;
  }
  for (const c of line) {
    if (SPACE_REGEXP.test(c)) {
      flush();
    } else if (c === "[") {
      flush();
      if (optionsStart) return "too many '['";
      if (!args.length) return "file must start with a cert";
      optionsStart = args.length;
    } else if (c === "]") {
      flush();
      if (optionsEnd) return "too many ']'";
      if (!optionsStart) return "missing '['";
      optionsEnd = args.length;
    } else {
      current = (current ?? "") + c;
    }
  }
  flush();
  if (!args.length) return undefined;
  if (!optionsStart) {
    return { path: args[0], options: [], filters: args.slice(1), unclosed: false };
  }
  if (!optionsEnd) {
    return { path: args[0], options: [], filters: args.slice(optionsStart), unclosed: true };
  }
  return {
    path: args[0],
    options: args.slice(optionsStart, optionsEnd),
    filters: args.slice(optionsEnd),
    unclosed: false,
  };
}
