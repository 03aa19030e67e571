/**
 * Reads `stapled.conf` files from disk and checks who may change them.
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
import { type ConfigSchema, parseConfigFile, type ParsedConfigFile } from "./config_file.ts";

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

/**
 * The keys whose value is a command stapled runs. A file setting one must be
 * owned by root or the running user and not writable by group or others.
 */
export const COMMAND_KEYS: readonly string[] = ["on-update"];

/** Config files larger than this are refused (the sample file is ~4 KB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads and parses the config files that exist, in the order given, and
 * refuses a file that sets a command ({@link COMMAND_KEYS}) unless it is
 * owned by root or the running user and writable by neither group nor others.
 *
 * Needs `--allow-read` for the paths and `--allow-sys=uid`.
 *
 * @param paths The files to read, lowest precedence first (see
 *   `defaultConfigPaths`).
 * @param schema The known keys and their types.
 * @param options How to read files, and which must exist.
 * @returns One result per file that exists, in the order of `paths`.
 * @throws {ConfigError} When a file exists but cannot be read, a required
 *   file is missing, a file has a bad line (see `parseConfigFile`), or
 *   a file that sets a command could be changed by someone else.
 *
 * @example Reading the default files
 * ```ts
 * import { defaultConfigPaths, mergeConfig } from "./config_file.ts";
 * import { readConfigFiles } from "./read_config.ts";
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
 * import { readConfigText } from "./read_config.ts";
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
