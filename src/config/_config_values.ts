/**
 * Private helpers of the config file reader: turning one raw `key=value`
 * text into a typed value, and suggesting a known key for a misspelt one.
 *
 * @module
 */

/** The value types a config key can have. */
export type ConfigValueType = "string" | "boolean" | "number" | "integer" | "list";

/**
 * What the reader knows of one key: its type and, for numbers, the range it
 * accepts and an example value for messages.
 */
export interface ConfigKey {
  /** The value type. */
  type: ConfigValueType;
  /** The smallest number accepted (numbers only). */
  min?: number;
  /** The largest number accepted (numbers only). */
  max?: number;
  /** The unit, for messages (`seconds`). */
  unit?: string;
  /** A good value, shown in messages about a bad one. @default 60 */
  example?: number;
}

/** A value read from a config file. */
export type ConfigValue = string | number | boolean | string[];

/** The outcome of converting one raw value: the value, or why it is wrong. */
export type Conversion = { ok: true; value: ConfigValue } | { ok: false; reason: string };

const TRUE_WORDS: ReadonlySet<string> = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS: ReadonlySet<string> = new Set(["false", "no", "off", "0"]);
const INTEGER_REGEXP = /^\d+$/;
const NUMBER_REGEXP = /^\d+(?:\.\d+)?$/;
const NEGATIVE_REGEXP = /^-\s*\d/;
const TRAILING_COMMENT_REGEXP = /\s[;#]/;

/**
 * Whether a value looks like it ends in a trailing comment (` ; ...` or
 * ` # ...`), which the reader does not strip.
 */
export function hasTrailingComment(raw: string): boolean {
  return TRAILING_COMMENT_REGEXP.test(raw);
}

/** Removes one pair of matching surrounding quotes (`"x"` or `'x'`). */
export function unquote(text: string): string {
  if (text.length >= 2) {
    const first = text[0];
    if ((first === '"' || first === "'") && text.at(-1) === first) return text.slice(1, -1);
  }
  return text;
}

/**
 * Converts the raw text of one key to its typed value.
 *
 * @param key The key, for the messages.
 * @param spec The key's type (and range).
 * @param raw The text after the separator, trimmed and unquoted; `undefined`
 *   for a bare key.
 * @param negated Whether the key was written as `no-<key>` (booleans only).
 * @returns The value or the reason it is wrong.
 */
export function convertValue(
  key: string,
  spec: ConfigValueType | ConfigKey,
  raw: string | undefined,
  negated: boolean,
): Conversion {
  const keySpec = typeof spec === "string" ? { type: spec } : spec;
  const type = keySpec.type;
  if (type === "boolean") return convertBoolean(key, raw, negated);
  if (raw === undefined) {
    return { ok: false, reason: `${key} needs a value, e.g. ${key}=${example(type)}` };
  }
  switch (type) {
    case "string":
      return { ok: true, value: raw };
    case "list":
      return convertList(key, raw);
    case "number":
    case "integer":
      return convertNumber(key, keySpec, raw);
  }
}

function convertBoolean(key: string, raw: string | undefined, negated: boolean): Conversion {
  const shown = negated ? `no-${key}` : key;
  if (raw === undefined) return { ok: true, value: !negated };
  const word = raw.toLowerCase();
  if (TRUE_WORDS.has(word)) return { ok: true, value: !negated };
  if (FALSE_WORDS.has(word)) return { ok: true, value: negated };
  return {
    ok: false,
    reason: `${shown} expects true or false, got "${raw}"` +
      ` (write "${shown}" alone for true, or ${shown}=false)${commentHint(raw)}`,
  };
}

function convertList(key: string, raw: string): Conversion {
  if (!raw.startsWith("[")) return { ok: true, value: raw === "" ? [] : [raw] };
  if (!raw.endsWith("]")) {
    return {
      ok: false,
      reason: `${key} opens a list with "[" but the line does not end with "]"` +
        ` (a list must stay on one line, e.g. ${key}=[a, b])${commentHint(raw)}`,
    };
  }
  const items = raw.slice(1, -1).split(",").map((item) => unquote(item.trim()));
  return { ok: true, value: items.filter((item) => item !== "") };
}

function convertNumber(key: string, spec: ConfigKey, raw: string): Conversion {
  const type = spec.type;
  const pattern = type === "integer" ? INTEGER_REGEXP : NUMBER_REGEXP;
  const value = Number(raw);
  if (pattern.test(raw) && (type !== "integer" || Number.isSafeInteger(value))) {
    const { min = 0, max, unit } = spec;
    if (value >= min && (max === undefined || value <= max)) return { ok: true, value };
    const units = unit ? ` ${unit}` : "";
    const range = max === undefined ? `at least ${min}${units}` : `${min} to ${max}${units}`;
    return {
      ok: false,
      reason: `${key} must be ${range}, got ${raw} (e.g. ${key}=${spec.example ?? 60})`,
    };
  }
  const what = type === "integer" ? "a whole number" : "a number";
  if (NEGATIVE_REGEXP.test(raw)) {
    return { ok: false, reason: `${key} must not be negative, got "${raw}" (e.g. ${key}=60)` };
  }
  return {
    ok: false,
    reason: `${key} expects ${what}, got "${raw}" (e.g. ${key}=60)${commentHint(raw)}`,
  };
}

function commentHint(raw: string): string {
  return hasTrailingComment(raw) ? "; comments must be on a line of their own" : "";
}

function example(type: ConfigValueType): string {
  switch (type) {
    case "list":
      return "[a, b]";
    case "number":
    case "integer":
      return "60";
    default:
      return "value";
  }
}

/**
 * The known key closest to a misspelt one, if it is close enough (at most two
 * edits, or one for short keys).
 *
 * @param key The unknown key.
 * @param known The known keys.
 * @returns The suggestion, or `undefined`.
 */
export function suggestKey(key: string, known: Iterable<string>): string | undefined {
  const limit = key.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}
