/**
 * Reads `stapled.conf` files (the original's ConfigArgParse format) and
 * merges them with the command line.
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
 * Trust: a file that sets a key which makes stapled run a program
 * ({@link COMMAND_KEYS}: `on-update`) is refused unless it is owned by root or
 * by the user stapled runs as and is writable by neither group nor others,
 * as sshd and sudo check their files. The owner and mode are taken from the
 * open file that is read (fstat), so the file cannot be swapped between the
 * check and the read; a directory that others may write to can then only
 * hold files they own, which are refused.
 *
 * @module
 */
import { ConfigError } from "../errors/mod.ts";
import {
  type ConfigValue,
  type ConfigValueType,
  convertValue,
  hasTrailingComment,
  suggestKey,
  unquote,
} from "./_config_values.ts";

export type { ConfigValue, ConfigValueType };

/**
 * The keys a config file may set and their types, by long option name
 * (`cert-paths`), e.g. `{ "cert-paths": "list", recursive: "boolean" }`.
 * `number` and `integer` accept only non-negative values.
 */
export type ConfigSchema = Readonly<Record<string, ConfigValueType>>;

/** What one config file sets, and what the operator should be told about it. */
export interface ParsedConfigFile {
  /** The settings, by schema key (long option name with `-`). */
  values: Record<string, ConfigValue>;
  /** Lines to log as warnings, each starting with `file:line:`. */
  warnings: string[];
}

/** One config file read by {@link readConfigFiles}. */
export interface ConfigFileResult extends ParsedConfigFile {
  /** The path it was read from. */
  file: string;
}

/** A config file's text and who may change it, as {@link readConfigText} returns it. */
export interface ConfigFileContent {
  /** The file's contents. */
  text: string;
  /** The owner's uid, `null` where the platform has none. */
  uid: number | null;
  /** The permission bits (`0o644`), `null` where the platform has none. */
  mode: number | null;
}

/** Options of {@link readConfigFiles}. */
export interface ReadConfigFilesOptions {
  /**
   * Reads a file with its owner and mode; rejects with
   * `Deno.errors.NotFound` when it is missing.
   * @default readConfigText
   */
  readFile?: (path: string) => Promise<ConfigFileContent>;
  /**
   * The uid stapled runs as: besides root, the only owner a file that sets
   * a command may have. `null` when unknown (then only root is trusted).
   * @default Deno.uid() (needs `--allow-sys=uid`)
   */
  uid?: number | null;
  /**
   * The keys that make stapled run a program.
   * @default COMMAND_KEYS
   */
  commandKeys?: readonly string[];
  /**
   * Paths that must exist (the `-c` file): a missing one is a `ConfigError`
   * instead of being skipped.
   * @default []
   */
  required?: readonly string[];
}

/** Where stapled looks for config files when `-c` is not given. */
export const SYSTEM_CONFIG_PATH = "/etc/stapled/stapled.conf";

/**
 * The keys whose value is a command stapled runs. A file setting one must be
 * owned by root or the running user and not writable by group or others.
 */
export const COMMAND_KEYS: readonly string[] = ["on-update"];

/** Config files larger than this are refused (the sample file is ~4 KB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

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
    const type = schema[target.key];
    const converted = convertValue(target.key, type, raw, target.negated);
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
    if (Object.hasOwn(schema, positive) && schema[positive] === "boolean") {
      return { key: positive, negated: true };
    }
  }
  return undefined;
}

/**
 * Reads and parses the config files that exist, in the order given, and
 * refuses a file that sets a command ({@link COMMAND_KEYS}) unless it is
 * owned by root or the running user and writable by neither group nor others.
 *
 * Needs `--allow-read` for the paths and `--allow-sys=uid`.
 *
 * @param paths The files to read, lowest precedence first (see
 *   {@link defaultConfigPaths}).
 * @param schema The known keys and their types.
 * @param options How to read files, and which must exist.
 * @returns One result per file that exists, in the order of `paths`.
 * @throws {ConfigError} When a file exists but cannot be read, a required
 *   file is missing, a file has a bad line (see {@link parseConfigFile}), or
 *   a file that sets a command could be changed by someone else.
 *
 * @example Reading the default files
 * ```ts
 * const results = await readConfigFiles(defaultConfigPaths(), { recursive: "boolean" });
 * const merged = mergeConfig([{ recursive: false }, ...results.map((r) => r.values)]);
 * ```
 */
export async function readConfigFiles(
  paths: readonly string[],
  schema: ConfigSchema,
  options: ReadConfigFilesOptions = {},
): Promise<ConfigFileResult[]> {
  const { readFile = readConfigText, required = [], commandKeys = COMMAND_KEYS } = options;
  const uid = options.uid === undefined ? currentUid() : options.uid;
  const results: ConfigFileResult[] = [];
  for (const file of paths) {
    let content: ConfigFileContent;
    try {
      content = await readFile(file);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        if (required.includes(file)) throw new ConfigError(file, "config file not found");
        continue;
      }
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(file, `cannot read the config file: ${readFailure(err)}`, {
        cause: err,
      });
    }
    const parsed = parseConfigFile(content.text, file, schema);
    const command = commandKeys.find((key) => Object.hasOwn(parsed.values, key));
    if (command !== undefined) checkTrusted(file, command, content, uid);
    results.push({ file, ...parsed });
  }
  return results;
}

/**
 * Throws unless a file that sets `key` (a command) is owned by root or `uid`
 * and writable by neither group nor others.
 */
function checkTrusted(file: string, key: string, content: ConfigFileContent, uid: number | null) {
  const refuse = (why: string, fix: string) =>
    new ConfigError(
      file,
      `refusing the config file: it sets ${key} (a command stapled runs) but ${why}; ${fix}`,
    );
  if (content.uid !== null && content.uid !== 0 && content.uid !== uid) {
    const runAs = uid === null ? "" : ` or uid ${uid} (the user stapled runs as)`;
    throw refuse(`is owned by uid ${content.uid}, not by root${runAs}`, `chown root ${file}`);
  }
  if (content.mode !== null && (content.mode & 0o022) !== 0) {
    const mode = (content.mode & 0o7777).toString(8).padStart(4, "0");
    throw refuse(`is writable by group or others (mode ${mode})`, `chmod go-w ${file}`);
  }
}

function currentUid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

/**
 * Reads a config file with the owner and mode of the very file read: it is
 * opened once, checked with fstat (a regular file, at most
 * {@link MAX_CONFIG_BYTES}) and read from the same handle. Anything but a
 * regular file is refused before it is opened, so a FIFO cannot block.
 *
 * Needs `--allow-read` for the path.
 *
 * @param path The file.
 * @returns Its text, owner and mode.
 * @throws {Deno.errors.NotFound} When it does not exist.
 * @throws {ConfigError} When it is not a regular file or too large.
 *
 * @example Reading the system file
 * ```ts
 * import { readConfigText } from "./config_file.ts";
 * const { text, uid, mode } = await readConfigText("/etc/stapled/stapled.conf")
 *   .catch(() => ({ text: "", uid: null, mode: null }));
 * console.log(text.length, uid, mode);
 * ```
 */
export async function readConfigText(path: string): Promise<ConfigFileContent> {
  const before = await Deno.stat(path);
  if (!before.isFile) throw notRegular(path, before);
  using file = await Deno.open(path, { read: true });
  const info = await file.stat();
  if (!info.isFile) throw notRegular(path, info);
  if (info.size > MAX_CONFIG_BYTES) {
    throw new ConfigError(
      path,
      `cannot read the config file: ${info.size} bytes is more than the ${MAX_CONFIG_BYTES}-byte limit`,
    );
  }
  const bytes = new Uint8Array(info.size + 1);
  let total = 0;
  for (;;) {
    const n = await file.read(bytes.subarray(total));
    if (n === null) break;
    total += n;
    if (total === bytes.length) {
      throw new ConfigError(path, "cannot read the config file: it grows while being read");
    }
  }
  return {
    text: new TextDecoder().decode(bytes.subarray(0, total)),
    uid: info.uid,
    mode: info.mode === null ? null : info.mode & 0o7777,
  };
}

function notRegular(path: string, info: Deno.FileInfo): ConfigError {
  return new ConfigError(
    path,
    `cannot read the config file: ${
      info.isDirectory ? "it is a directory" : "it is not a regular file"
    }`,
  );
}

function readFailure(err: unknown): string {
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.NotCapable) return "stapled was not given --allow-read for it";
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0];
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
