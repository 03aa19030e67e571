/**
 * The shape of one option in the option table (`options.ts`), and what is
 * derived from one option alone: its range check and its help line.
 *
 * @module
 */

/** How an option's value is read. */
export type OptionType = "boolean" | "number" | "integer" | "string" | "list";

/** A value an option can have. */
export type OptionValue = string | number | boolean | readonly string[];

/** The values a number option accepts, both ends included. */
export interface OptionRange {
  /** The smallest value. */
  min: number;
  /** The largest value, if there is one. */
  max?: number;
  /** The unit, for messages (`seconds`). */
  unit?: string;
}

/** One option of the command line and config file. */
export interface OptionSpec {
  /** Long name without dashes; also the config file key. */
  name: string;
  /** Short flag letter, if any. */
  short?: string;
  /** Value type. */
  type: OptionType;
  /** Placeholder in help, e.g. `SECONDS`. */
  arg?: string;
  /** Help text (the default is appended to it). */
  help: string;
  /** Help group heading. */
  group: string;
  /** The value when the option is not given anywhere. */
  default?: OptionValue;
  /** The values a number option accepts. */
  range?: OptionRange;
  /** The value when the option is given without one (`-l` alone): the value is optional. */
  implied?: string;
  /** A string option whose value is a list separated by this (`crt,pem,cer`). */
  split?: string;
  /** The {@linkcode StapledConfig} field it sets; none for options folded into another. */
  field?: string;
  /** The field is the opposite of this boolean (`no-watch` sets `watch: false`). */
  negates?: boolean;
  /** Another option this one is an alias of (a true value of either wins). */
  aliasOf?: string;
  /** Another boolean option that this one, when true, sets to false (`interactive`). */
  unsets?: string;
  /** Help of a `--no-<name>` flag the command line also takes. */
  noFlagHelp?: string;
  /** Help of a counted short flag that overrides this option (`-vvv`). */
  counter?: { short: string; help: string };
  /** Deprecated: use this option instead. */
  deprecatedFor?: string;
  /** Only on the command line, not in config files. */
  cliOnly?: boolean;
}

/**
 * What is wrong with a number for an option's range, if anything.
 *
 * @param spec The option.
 * @param value The number.
 * @returns A phrase like `must be 1 to 2147483 seconds`, or `undefined` when
 *   the value is in range.
 *
 * @example
 * ```ts
 * import { optionSpec } from "./options.ts";
 * import { rangeProblem } from "./option_spec.ts";
 * console.log(rangeProblem(optionSpec("renewal-threads"), 0)); // "must be at least 1"
 * ```
 */
export function rangeProblem(spec: OptionSpec, value: number): string | undefined {
  const range = spec.range;
  if (range === undefined) return undefined;
  const wholeOk = spec.type !== "integer" || Number.isSafeInteger(value);
  if (Number.isFinite(value) && wholeOk && value >= range.min) {
    if (range.max === undefined || value <= range.max) return undefined;
  }
  const unit = range.unit ? ` ${range.unit}` : "";
  return range.max === undefined
    ? `must be at least ${range.min}${unit}`
    : `must be ${range.min} to ${range.max}${unit}`;
}

/**
 * An option's help text with its default (or its implied value) appended.
 *
 * @param spec The option.
 * @returns The help line shown by `--help`.
 *
 * @example
 * ```ts
 * import { optionSpec } from "./options.ts";
 * import { optionHelp } from "./option_spec.ts";
 * console.log(optionHelp(optionSpec("renewal-threads"))); // "OCSP requests in flight at most, per OCSP responder (scheme, host and port) (default: 2)"
 * ```
 */
export function optionHelp(spec: OptionSpec): string {
  if (spec.implied !== undefined) return `${spec.help} (default ${spec.arg}: ${spec.implied})`;
  const value = spec.default;
  if (typeof value === "number" || (typeof value === "string" && value !== "")) {
    return `${spec.help} (default: ${value})`;
  }
  return spec.help;
}

/** stapled's version, from deno.json. */
