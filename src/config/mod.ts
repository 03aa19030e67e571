/**
 * stapled's configuration: every option declared once (`options.ts`), the
 * command line (`command_line.ts`), `stapled.conf` files (`config_file.ts`,
 * `read_config.ts`), the typed defaults (`defaults.ts`) and the resolved
 * {@linkcode StapledConfig} (`config.ts`).
 *
 * @module
 */
export {
  MAX_MINIMUM_VALIDITY,
  MAX_TIMER_SECONDS,
  OPTION_DEFAULTS,
  optionHelp,
  type OptionName,
  type OptionRange,
  OPTIONS,
  type OptionSpec,
  optionSpec,
  type OptionType,
  type OptionValue,
  rangeProblem,
  type StapledConfig,
  VERSION,
} from "./options.ts";
export { DEFAULTS, type Defaults } from "./defaults.ts";
export {
  buildProgram,
  type CommandLine,
  type CommandLineOutput,
  convertOption,
  parseCommandLine,
} from "./command_line.ts";
export {
  type ConfigKey,
  type ConfigSchema,
  type ConfigValue,
  type ConfigValueType,
  defaultConfigPaths,
  mergeConfig,
  parseConfigFile,
  type ParsedConfigFile,
  SYSTEM_CONFIG_PATH,
} from "./config_file.ts";
export {
  COMMAND_KEYS,
  type ConfigFileContent,
  type ConfigFileResult,
  MAX_CONFIG_BYTES,
  readConfigFiles,
  type ReadConfigFilesOptions,
  readConfigText,
} from "./read_config.ts";
export { CONFIG_SCHEMA, loadConfig, type LoadConfigOptions, resolveConfig } from "./config.ts";
