/**
 * Resolves stapled's configuration: defaults, then the config files
 * (`~/.stapled.conf`, `/etc/stapled/stapled.conf`, the `-c` file; none from
 * the working directory), then the command line, each later layer winning;
 * checks the result and turns it into a typed {@linkcode StapledConfig}.
 *
 * @module
 */
import { ConfigError } from "../errors/mod.ts";
import {
  type ConfigFileContent,
  type ConfigSchema,
  defaultConfigPaths,
  mergeConfig,
  readConfigFiles,
} from "./config_file.ts";
import { type CommandLine, OPTIONS } from "./options.ts";

/** The resolved configuration. */
export interface StapledConfig {
  /** Certificate files or directories. */
  certPaths: string[];
  /** Descend into subdirectories. */
  recursive: boolean;
  /** Certificate file extensions. */
  fileExtensions: string[];
  /** Ignore patterns. */
  ignore: string[];
  /** Seconds between rescans. */
  refreshInterval: number;
  /** Watch the cert paths for changes. */
  watch: boolean;
  /** HAProxy configuration files or directories. */
  haproxyConfig: string[];
  /** HAProxy admin sockets paired with certPaths by position. */
  haproxySockets: string[];
  /** Push nothing to HAProxy. */
  noHaproxySockets: boolean;
  /** Idle timeout asked of HAProxy for our connections, seconds. */
  haproxySocketKeepalive: number;
  /** Renew staples valid for less than this many seconds. */
  minimumValidity: number;
  /** OCSP requests in flight at most. */
  renewalThreads: number;
  /** Reuse valid staples on disk. */
  recycle: boolean;
  /** Write an empty staple instead of a revoked response. */
  goodOnly: boolean;
  /** OCSP HTTP timeout in seconds. */
  timeout: number;
  /** Send nonces. */
  nonce: boolean;
  /** Run once and exit. */
  oneOff: boolean;
  /** Print what was found and exit. */
  checkConfig: boolean;
  /** Detach. */
  daemon: boolean;
  /** Pid file. */
  pidfile?: string;
  /** Command run after staples changed. */
  onUpdate?: string;
  /** 0..4. */
  verbosity: number;
  /** Log directory. */
  logdir?: string;
  /** Log to syslog. */
  syslog: boolean;
  /** No console logging. */
  quiet: boolean;
  /** The config files that were read. */
  configFiles: string[];
  /** Warnings to log once logging is set up. */
  warnings: string[];
}

/** The defaults, by option name. */
export const DEFAULTS: Readonly<Record<string, string | number | boolean | string[]>> = {
  "cert-paths": [],
  recursive: false,
  "file-extensions": "crt,pem,cer",
  ignore: [],
  "refresh-interval": 60,
  "no-watch": false,
  "haproxy-config": [],
  "haproxy-sockets": [],
  "no-haproxy-sockets": false,
  "haproxy-socket-keepalive": 86400,
  "minimum-validity": 7200,
  "renewal-threads": 2,
  "no-recycle": false,
  "good-only": false,
  timeout: 10,
  nonce: false,
  "one-off": false,
  daemon: false,
  verbosity: 3,
  syslog: false,
  quiet: false,
};

/** The keys a config file may set, with their types. */
export const CONFIG_SCHEMA: ConfigSchema = Object.fromEntries(
  OPTIONS.filter((o) => !o.cliOnly).map((o) => [o.name, o.type]),
);

/**
 * Folds the original's paired and aliased keys into one key each, so layers
 * merge by precedence: `interactive`/`no-daemon` become `daemon: false`,
 * `one-shot` becomes `one-off`, `no-recycle` stays (a true value wins).
 */
function normalizeLayer(layer: Record<string, unknown>): Record<string, unknown> {
  const out = { ...layer };
  if (out.interactive === true || out["no-daemon"] === true) out.daemon = false;
  delete out.interactive;
  delete out["no-daemon"];
  if (out["one-shot"] !== undefined) {
    out["one-off"] = out["one-off"] === true || out["one-shot"] === true;
    delete out["one-shot"];
  }
  return out;
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (value === undefined || value === null || value === false) return [];
  return [String(value)];
}

/**
 * Merges layers into a checked configuration.
 *
 * @param layers Setting layers, lowest precedence first (defaults are added below them).
 * @param verbose The number of `-v` flags (overrides verbosity when > 0).
 * @param extra Config files read and warnings so far.
 * @returns The configuration.
 * @throws {ConfigError} For contradictory or out-of-range settings.
 */
export function resolveConfig(
  layers: Array<Record<string, unknown>>,
  verbose = 0,
  extra: { configFiles?: string[]; warnings?: string[] } = {},
): StapledConfig {
  const warnings = [...(extra.warnings ?? [])];
  const m = mergeConfig([DEFAULTS, ...layers.map(normalizeLayer)]);
  let certPaths = list(m["cert-paths"]);
  const directories = list(m.directories);
  if (directories.length > 0) {
    if (certPaths.length > 0) {
      throw new ConfigError(
        "",
        "--directories (-d) is deprecated and cannot be mixed with --cert-paths (-p); use -p only",
      );
    }
    warnings.push("--directories (-d) is deprecated; use --cert-paths (-p)");
    certPaths = directories;
  }
  const haproxyConfig = list(m["haproxy-config"]);
  const noSockets = m["no-haproxy-sockets"] === true;
  const sockets = noSockets ? [] : list(m["haproxy-sockets"]);
  if (sockets.length > 0 && sockets.length !== certPaths.length) {
    throw new ConfigError(
      "",
      `--haproxy-sockets pairs with --cert-paths by position: got ${sockets.length} socket(s) for ${certPaths.length} cert path(s)`,
    );
  }
  const threads = Number(m["renewal-threads"]);
  if (!(threads >= 1)) throw new ConfigError("", "--renewal-threads must be at least 1");
  const refresh = Number(m["refresh-interval"]);
  if (!(refresh >= 1)) throw new ConfigError("", "--refresh-interval must be at least 1 second");
  const timeout = Number(m.timeout);
  if (!(timeout > 0)) throw new ConfigError("", "--timeout must be more than 0 seconds");
  let verbosity = Number(m.verbosity);
  if (verbose > 0) verbosity = verbose;
  if (!(verbosity >= 0 && verbosity <= 4)) {
    if (verbose > 0) verbosity = 4;
    else throw new ConfigError("", `--verbosity must be 0 to 4, not ${m.verbosity}`);
  }
  const extensions = String(m["file-extensions"]).split(",").map((e) => e.trim().replace(/^\./, ""))
    .filter(Boolean);
  if (extensions.length === 0) {
    throw new ConfigError("", "--file-extensions names no extension (e.g. crt,pem,cer)");
  }
  return {
    certPaths,
    recursive: m.recursive === true,
    fileExtensions: extensions,
    ignore: list(m.ignore),
    refreshInterval: refresh,
    watch: m["no-watch"] !== true,
    haproxyConfig,
    haproxySockets: sockets,
    noHaproxySockets: noSockets,
    haproxySocketKeepalive: Number(m["haproxy-socket-keepalive"]),
    minimumValidity: Number(m["minimum-validity"]),
    renewalThreads: Math.floor(threads),
    recycle: m["no-recycle"] !== true,
    goodOnly: m["good-only"] === true,
    timeout,
    nonce: m.nonce === true,
    oneOff: m["one-off"] === true,
    checkConfig: m["check-config"] === true,
    daemon: m.daemon === true,
    pidfile: typeof m.pidfile === "string" ? m.pidfile : undefined,
    onUpdate: typeof m["on-update"] === "string" && m["on-update"] ? m["on-update"] : undefined,
    verbosity,
    logdir: typeof m.logdir === "string" && m.logdir ? m.logdir : undefined,
    syslog: m.syslog === true,
    quiet: m.quiet === true,
    configFiles: extra.configFiles ?? [],
    warnings,
  };
}

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** The default config files, lowest precedence first. @default defaultConfigPaths() */
  defaultFiles?: string[];
  /** Reads a config file with its owner and mode. @default readConfigText */
  readFile?: (path: string) => Promise<ConfigFileContent>;
  /** The uid stapled runs as (see `readConfigFiles`). @default Deno.uid() */
  uid?: number | null;
}

/**
 * Reads the config files and merges them with the command line.
 *
 * @param cli The parsed command line.
 * @param options Which default files to read.
 * @returns The configuration.
 * @throws {ConfigError} For unreadable or invalid files, a file setting a
 *   command that others could change, and contradictory settings.
 */
export async function loadConfig(
  cli: CommandLine,
  options: LoadConfigOptions = {},
): Promise<StapledConfig> {
  const files = [...(options.defaultFiles ?? defaultConfigPaths())];
  const explicit = typeof cli.values.config === "string" ? cli.values.config : undefined;
  if (explicit) files.push(explicit);
  const results = await readConfigFiles(files, CONFIG_SCHEMA, {
    readFile: options.readFile,
    uid: options.uid,
    required: explicit ? [explicit] : [],
  });
  const { config: _config, "check-config": checkConfig, ...cliValues } = cli.values;
  const layers: Array<Record<string, unknown>> = results.map((r) => r.values);
  layers.push({ ...cliValues, "check-config": checkConfig });
  return resolveConfig(layers, cli.verbose, {
    configFiles: results.map((r) => r.file),
    warnings: results.flatMap((r) => r.warnings),
  });
}
