/**
 * Resolves stapled's configuration: the defaults of the option table, then
 * the config files (`~/.stapled.conf`, `/etc/stapled/stapled.conf`, the `-c`
 * file; none from the working directory), then the command line, each later
 * layer winning; checks the result against the table (types, ranges) and
 * turns it into a typed {@linkcode StapledConfig}.
 *
 * @module
 */
import { ConfigError } from "../errors/mod.ts";
import type { CommandLine } from "./command_line.ts";
import { type ConfigSchema, defaultConfigPaths, mergeConfig } from "./config_file.ts";
import {
  OPTION_DEFAULTS,
  OPTIONS,
  type OptionSpec,
  rangeProblem,
  type StapledConfig,
} from "./options.ts";
import { type ConfigFileContent, readConfigFiles } from "./read_config.ts";

export type { StapledConfig };

const SPECS: readonly OptionSpec[] = OPTIONS;

/** The keys a config file may set, with their types and ranges, from the option table. */
export const CONFIG_SCHEMA: ConfigSchema = Object.fromEntries(
  SPECS.filter((o) => !o.cliOnly).map((o) => [
    o.name,
    o.range === undefined ? o.type : {
      type: o.type,
      ...o.range,
      example: typeof o.default === "number" ? o.default : undefined,
    },
  ]),
);

/**
 * Folds aliased keys into the option they stand for, so layers merge by
 * precedence: `interactive` (and `no-daemon`) become `daemon: false`,
 * `one-shot` becomes `one-off`.
 */
function normalizeLayer(layer: Record<string, unknown>): Record<string, unknown> {
  const out = { ...layer };
  for (const spec of SPECS) {
    if (spec.unsets !== undefined) {
      if (out[spec.name] === true || out[`no-${spec.unsets}`] === true) out[spec.unsets] = false;
      delete out[spec.name];
      delete out[`no-${spec.unsets}`];
    }
    if (spec.aliasOf !== undefined && out[spec.name] !== undefined) {
      out[spec.aliasOf] = out[spec.aliasOf] === true || out[spec.name] === true;
      delete out[spec.name];
    }
  }
  return out;
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (value === undefined || value === null || value === false) return [];
  return [String(value)];
}

/** The field value of one option from its merged value. */
function fieldValue(spec: OptionSpec, value: unknown): unknown {
  switch (spec.type) {
    case "boolean":
      return spec.negates ? value !== true : value === true;
    case "list":
      return list(value);
    case "number":
    case "integer": {
      const n = Number(value);
      const problem = rangeProblem(spec, n);
      if (problem !== undefined) {
        throw new ConfigError("", `--${spec.name} ${problem}, not ${String(value)}`);
      }
      return n;
    }
    case "string":
      if (spec.split !== undefined) {
        return String(value ?? "").split(spec.split).map((e) => e.trim().replace(/^\./, ""))
          .filter(Boolean);
      }
      return typeof value === "string" && value !== "" ? value : undefined;
  }
}

/**
 * Merges layers into a checked configuration.
 *
 * @param layers Setting layers by long option name, lowest precedence first
 *   (the table's defaults are added below them).
 * @param verbose The number of `-v` flags (overrides verbosity when > 0).
 * @param extra Config files read and warnings so far.
 * @returns The configuration.
 * @throws {ConfigError} For contradictory or out-of-range settings.
 *
 * @example The defaults under a file's settings
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * const config = resolveConfig([{ "cert-paths": ["/etc/ssl/sites"], "renewal-threads": 4 }]);
 * console.log(config.renewalThreads, config.minimumValidity); // 4 7200
 * ```
 */
export function resolveConfig(
  layers: Array<Record<string, unknown>>,
  verbose = 0,
  extra: { configFiles?: string[]; warnings?: string[] } = {},
): StapledConfig {
  const warnings = [...(extra.warnings ?? [])];
  const merged = mergeConfig([OPTION_DEFAULTS, ...layers.map(normalizeLayer)]);
  if (verbose > 0) merged.verbosity = Math.min(verbose, 4);
  const fields: Record<string, unknown> = {};
  for (const spec of SPECS) {
    if (spec.field !== undefined) fields[spec.field] = fieldValue(spec, merged[spec.name]);
    const replacement = spec.deprecatedFor;
    if (replacement === undefined) continue;
    const given = list(merged[spec.name]);
    if (given.length === 0) continue;
    const target = SPECS.find((o) => o.name === replacement)!;
    const flags = (o: OptionSpec) => `--${o.name}${o.short ? ` (-${o.short})` : ""}`;
    if (list(merged[replacement]).length > 0) {
      throw new ConfigError(
        "",
        `${flags(spec)} is deprecated and cannot be mixed with ${flags(target)}; use -${
          target.short ?? "-" + target.name
        } only`,
      );
    }
    warnings.push(`${flags(spec)} is deprecated; use ${flags(target)}`);
    fields[target.field!] = given;
  }
  const config = { ...fields, configFiles: extra.configFiles ?? [], warnings } as StapledConfig;
  if (config.noHaproxySockets) config.haproxySockets = [];
  const sockets = config.haproxySockets.length;
  if (sockets > 0 && sockets !== config.certPaths.length) {
    throw new ConfigError(
      "",
      `--haproxy-sockets pairs with --cert-paths by position: got ${sockets} socket(s) for ${config.certPaths.length} cert path(s)`,
    );
  }
  if (config.fileExtensions.length === 0) {
    throw new ConfigError(
      "",
      `--file-extensions names no extension (e.g. ${OPTION_DEFAULTS["file-extensions"]})`,
    );
  }
  return config;
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
 * Needs `--allow-read` for the files, `--allow-env=HOME` and `--allow-sys=uid`.
 *
 * @param cli The parsed command line.
 * @param options Which default files to read.
 * @returns The configuration.
 * @throws {ConfigError} For unreadable or invalid files, a file setting a
 *   command that others could change, and contradictory settings.
 *
 * @example Command line over the default files
 * ```ts
 * import { parseCommandLine } from "./command_line.ts";
 * import { loadConfig } from "./config.ts";
 * const config = await loadConfig(parseCommandLine(["-p", "/etc/ssl/sites"]), { defaultFiles: [] });
 * console.log(config.certPaths); // ["/etc/ssl/sites"]
 * ```
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
  const { config: _config, ...cliValues } = cli.values;
  const layers: Array<Record<string, unknown>> = results.map((r) => r.values);
  layers.push(cliValues);
  return resolveConfig(layers, cli.verbose, {
    configFiles: results.map((r) => r.file),
    warnings: results.flatMap((r) => r.warnings),
  });
}
