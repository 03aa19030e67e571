/**
 * The defaults of every option, typed as the fields of the resolved
 * configuration (`DEFAULTS.minimumValidity`, `DEFAULTS.fileExtensions`), for
 * lower modules whose API has a default for a setting an option controls:
 * they import it from here instead of writing the value again. Derived from
 * the option table (`options.ts`); no I/O, no npm imports.
 *
 * @module
 */
import { OPTION_DEFAULTS, OPTIONS, type OptionSpec, type StapledConfig } from "./options.ts";

/** The typed defaults: the configuration fields that have a default. */
export type Defaults = Readonly<Omit<StapledConfig, "configFiles" | "warnings">>;

function defaults(): Defaults {
  const fields: Record<string, unknown> = {};
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    if (spec.field === undefined || spec.default === undefined) continue;
    const value = OPTION_DEFAULTS[spec.name];
    if (spec.negates) fields[spec.field] = value !== true;
    else if (spec.split !== undefined) fields[spec.field] = String(value).split(spec.split);
    else fields[spec.field] = Array.isArray(value) ? Object.freeze([...value]) : value;
  }
  return Object.freeze(fields) as unknown as Defaults;
}

/**
 * Every option's default as a typed configuration field.
 *
 * @example A lower module's default
 * ```ts
 * import { DEFAULTS } from "./defaults.ts";
 * console.log(DEFAULTS.minimumValidity, DEFAULTS.timeout, DEFAULTS.fileExtensions);
 * // 7200 10 ["crt", "pem", "cer"]
 * ```
 */
export const DEFAULTS: Defaults = defaults();
