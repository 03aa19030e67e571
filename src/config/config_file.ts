/**
 * Parses `stapled.conf` files (the original's ConfigArgParse format) and
 * merges them with the command line; `read_config.ts` reads them from disk.
 *
 * Format, one setting per line:
 * - `key=value`, `key = value`, `key: value` or `key value`, with the long
 *   option name as key (`cert-paths`, `minimum-validity`; `_` may stand for
 *   `-`). One pair of surrounding quotes is removed from a value.
 * - A bare key means true (`recursive`); booleans also take
 *   `true/false/yes/no/on/off/1/0`, and `no-<key>` sets a boolean key to false.
 * - Lists are `[a, b]` on one line (items trimmed, quotes removed, empty items
 *   dropped); a single value for a list key is a one-item list.
 * - `[section]` headers are ignored.
 * - Comments are whole lines starting with `;` or `#`. There are no trailing
 *   comments: `key=value ; note` keeps ` ; note` in the value, because paths
 *   may contain `#` or `;`. A value that looks like it carries one gets a
 *   warning (strings, lists) or a hint in the error (numbers, booleans).
 *
 * Precedence, highest first: command line > `-c` file >
 * `/etc/stapled/stapled.conf` > `~/.stapled.conf` > defaults.
 * {@link defaultConfigPaths} lists the files lowest first, and
 * {@link mergeConfig} lets later layers win, so the layers go in that order.
 * Nothing is read from the working directory: a `stapled.conf` there could
 * be anyone's (the original read `./stapled.conf`).
 *
 * @module
 */
import { ConfigError } from "../errors/mod.ts";
import {
  type ConfigKey,
  type ConfigValue,
  type ConfigValueType,
  convertValue,
  hasTrailingComment,
  suggestKey,
  unquote,
} from "./_config_values.ts";

export type { ConfigKey, ConfigValue, ConfigValueType };

/**
 * The keys a config file may set and their types, by long option name
 * (`cert-paths`), e.g. `{ "cert-paths": "list", recursive: "boolean" }`, or
 * with a range, `{ "renewal-threads": { type: "integer", min: 1 } }`.
 * `number` and `integer` accept only values in their range (by default 0 or
 * more).
 */
export type ConfigSchema = Readonly<Record<string, ConfigValueType | ConfigKey>>;

/** The type of a schema entry. */
function typeOf(entry: ConfigValueType | ConfigKey): ConfigValueType {
  return typeof entry === "string" ? entry : entry.type;
}

/** What one config file sets, and what the operator should be told about it. */
export interface ParsedConfigFile {
  /** The settings, by schema key (long option name with `-`). */
  values: Record<string, ConfigValue>;
  /** Lines to log as warnings, each starting with `file:line:`. */
  warnings: string[];
}

/** Where stapled looks for config files when `-c` is not given. */
export const SYSTEM_CONFIG_PATH = "/etc/stapled/stapled.conf";

const KEY_REGEXP = /^[^:=;#\s]+/;
const SECTION_REGEXP = /^\[[^\]]*\]$/;

/**
 * Parses the text of one config file.
 *
 * @param text The file's contents.
 * @param file The file's path, used in warnings and errors.
 * @param schema The known keys and their types.
 * @returns The values by schema key and the warnings (unknown keys, keys set
 *   twice, values that seem to carry a trailing comment).
 * @throws {ConfigError} For a line that is not `key=value` or a value of the
 *   wrong type; its `file` is `file:line`.
 *
 * @example Reading a file's text
 * ```ts
 * const { values } = parseConfigFile("recursive\nminimum-validity=7200\n", "stapled.conf", {
 *   recursive: "boolean",
 *   "minimum-validity": "integer",
 * });
 * // values = { recursive: true, "minimum-validity": 7200 }
 * ```
 */
export function parseConfigFile(
  text: string,
  file: string,
  schema: ConfigSchema,
): ParsedConfigFile {
  const values: Record<string, ConfigValue> = {};
  const warnings: string[] = [];
  const setAt = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const where = `${file}:${index + 1}`;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed[0] === ";" || trimmed[0] === "#") continue;
    if (SECTION_REGEXP.test(trimmed)) continue;
    const keyMatch = KEY_REGEXP.exec(trimmed);
    if (keyMatch === null) {
      throw new ConfigError(
        where,
        `cannot read "${trimmed}": expected key=value, a bare key, a [section] or a ; comment`,
      );
    }
    const written = keyMatch[0];
    const raw = rawValue(trimmed.slice(written.length));
    const target = resolveKey(written.replaceAll("_", "-"), schema);
    if (target === undefined) {
      const suggestion = suggestKey(written.replaceAll("_", "-"), Object.keys(schema));
      const hint = suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`;
      warnings.push(`${where}: unknown option ${written}, ignored${hint}`);
      continue;
    }
    const type = typeOf(schema[target.key]);
    const converted = convertValue(target.key, schema[target.key], raw, target.negated);
    if (!converted.ok) throw new ConfigError(where, converted.reason);
    if ((type === "string" || type === "list") && raw !== undefined && hasTrailingComment(raw)) {
      warnings.push(
        `${where}: the value of ${written} contains " ;" or " #"; it is kept as part of the value` +
          " (comments must be on a line of their own)",
      );
    }
    const previous = setAt.get(target.key);
    if (previous !== undefined) {
      warnings.push(`${where}: ${target.key} was already set on line ${previous}; this line wins`);
    }
    setAt.set(target.key, index + 1);
    values[target.key] = converted.value;
  }
  return { values, warnings };
}

/** The value text after the key: undefined for a bare key, else trimmed and unquoted. */
function rawValue(rest: string): string | undefined {
  const afterKey = rest.trimStart();
  if (afterKey === "") return undefined;
  const value = afterKey[0] === "=" || afterKey[0] === ":" ? afterKey.slice(1).trim() : afterKey;
  return unquote(value);
}

/** The schema key a written key sets; `no-<key>` negates a boolean key. */
function resolveKey(
  key: string,
  schema: ConfigSchema,
): { key: string; negated: boolean } | undefined {
  if (Object.hasOwn(schema, key)) return { key, negated: false };
  if (key.startsWith("no-")) {
    const positive = key.slice(3);
    if (Object.hasOwn(schema, positive) && typeOf(schema[positive]) === "boolean") {
      return { key: positive, negated: true };
    }
  }
  return undefined;
}

/**
 * Merges settings layers; a later layer wins over an earlier one. Keys whose
 * value is `undefined` are skipped, so a command-line layer should hold only
 * the options actually given (no defaults). Lists replace, never append.
 *
 * @param layers The layers, lowest precedence first: defaults, then the
 *   files from {@link defaultConfigPaths} in order, then the `-c` file, then
 *   the command line.
 * @returns A new object with the winning value of every key.
 *
 * @example `--no-daemon` beats `daemon` in a file
 * ```ts
 * mergeConfig([{ daemon: false }, { daemon: true }, { daemon: false }]); // { daemon: false }
 * ```
 */
export function mergeConfig(
  layers: ReadonlyArray<Readonly<Record<string, unknown>>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      merged[key] = Array.isArray(value) ? [...value] : value;
    }
  }
  return merged;
}

/**
 * The config files read when present, lowest precedence first:
 * `<home>/.stapled.conf`, `/etc/stapled/stapled.conf`. None in the working
 * directory.
 *
 * @param home The home directory; when omitted it is `$HOME` (needs
 *   `--allow-env`). Without a home directory the `~` file is left out.
 * @returns The paths, in reading (and merging) order.
 *
 * @example
 * ```ts
 * defaultConfigPaths("/root");
 * // ["/root/.stapled.conf", "/etc/stapled/stapled.conf"]
 * ```
 */
export function defaultConfigPaths(home: string | undefined = homeDirectory()): string[] {
  const paths: string[] = [];
  if (home) paths.push(`${home.replace(/\/+$/, "")}/.stapled.conf`);
  paths.push(SYSTEM_CONFIG_PATH);
  return paths;
}

function homeDirectory(): string | undefined {
  try {
    return Deno.env.get("HOME");
  } catch {
    return undefined;
  }
}
