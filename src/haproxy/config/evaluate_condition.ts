/**
 * Evaluates the condition of a `.if` / `.elif` line as HAProxy 2.6's
 * `cfg_eval_condition()` (src/cfgcond.c) does, answering `"unknown"` where
 * the answer depends on how HAProxy was built.
 *
 * @module
 */

import { compareVersions } from "./_version.ts";

/** `true`, `false`, or `"unknown"` when stapled cannot tell (take both branches). */
export type ConditionValue = boolean | "unknown";

/** Options for {@linkcode evaluateHaproxyCondition}. */
export interface EvaluateHaproxyConditionOptions {
  /**
   * Looks up an environment variable for `defined()`; `undefined` means not set.
   *
   * @default {() => undefined}
   */
  env?: (name: string) => string | undefined;
  /**
   * The HAProxy version `version_atleast()` / `version_before()` compare with.
   * A partial version (`"2.6"`) makes comparisons on finer components unknown.
   *
   * @default {"2.6"}
   */
  haproxyVersion?: string;
}

/** The value of a condition and, when not a plain boolean, why. */
export interface ConditionResult {
  /** The condition's value. */
  value: ConditionValue;
  /** Why the value is `"unknown"` (a syntax error or a build-dependent predicate). */
  reason?: string;
}

/** HAProxy's predicates and how many string arguments each takes. */
const PREDICATES: Record<string, number> = {
  defined: 1,
  feature: 1,
  streq: 2,
  strneq: 2,
  strstr: 2,
  version_atleast: 1,
  version_before: 1,
  openssl_version_atleast: 1,
  openssl_version_before: 1,
  ssllib_name_startswith: 1,
  enabled: 1,
};

/** Like HAProxy's MAX_CFG_RECURSION: bounds recursion on hostile input. */
const MAX_DEPTH = 1024;
const NUMBER_REGEXP = /^[ \t\n\v\f\r]*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/;
const NONZERO_REGEXP = /[1-9a-fA-F]/;

class ConditionSyntaxError extends Error {}

/**
 * Evaluates a `.if` condition: integers (`0` false, others true),
 * `defined(VAR)`, `streq(a,b)`, `strneq(a,b)`, `strstr(a,b)`,
 * `version_atleast(v)`, `version_before(v)`, `!`, `(...)`, `&&` (binds
 * tighter) and `||`. The text is the `.if` line's words joined by single
 * spaces, after variables were expanded. Arguments are taken verbatim up to
 * `,` or `)` (spaces included), with their own quotes and backslashes.
 * `feature()`, `openssl_*()`, `ssllib_name_startswith()` and `enabled()`
 * depend on the build and give `"unknown"`; so does a syntax error (which
 * HAProxy would refuse). An empty condition is false.
 *
 * @param text The condition.
 * @param options Environment and assumed HAProxy version.
 * @returns The value, with a reason when it is `"unknown"`.
 * @throws Never.
 *
 * @example Known and unknown conditions
 * ```ts
 * import { evaluateHaproxyCondition } from "./evaluate_condition.ts";
 * evaluateHaproxyCondition("streq(a,a) && !defined(NOPE)"); // { value: true }
 * evaluateHaproxyCondition("feature(OPENSSL)").value; // "unknown"
 * ```
 */
export function evaluateHaproxyCondition(
  text: string,
  options: EvaluateHaproxyConditionOptions = {},
): ConditionResult {
  const { env = () => undefined, haproxyVersion = "2.6" } = options;
  const reasons: string[] = [];
  let pos = 0;

  function skipBlanks(): void {
    while (text[pos] === " " || text[pos] === "\t") pos++;
  }

  /** `||` chains of `&&` chains of terms; `&&` binds tighter. Kleene logic for "unknown". */
  function parseChain(depth: number, operator: "||" | "&&"): ConditionValue {
    if (depth > MAX_DEPTH) throw new ConditionSyntaxError("expression nested too deeply");
    const left = operator === "||" ? parseChain(depth + 1, "&&") : parseTerm(depth + 1);
    skipBlanks();
    if (!text.startsWith(operator, pos)) return left;
    pos += 2;
    skipBlanks();
    const right = parseChain(depth + 1, operator);
    const decisive = operator === "||";
    if (left === decisive || right === decisive) return decisive;
    return left === !decisive && right === !decisive ? !decisive : "unknown";
  }

  function parseTerm(depth: number): ConditionValue {
    skipBlanks();
    if (pos >= text.length) {
      throw new ConditionSyntaxError(`unparsable conditional expression '${text}'`);
    }
    let negate = false;
    while (text[pos] === "!") {
      negate = !negate;
      pos++;
      skipBlanks();
    }
    const value = parsePositiveTerm(depth);
    return negate && value !== "unknown" ? !value : value;
  }

  function parsePositiveTerm(depth: number): ConditionValue {
    const number = NUMBER_REGEXP.exec(text.slice(pos));
    if (number) {
      pos += number[0].length;
      return NONZERO_REGEXP.test(number[1].replace(/^0[xX]/, ""));
    }
    if (text[pos] === "(") {
      pos++;
      skipBlanks();
      const value = parseChain(depth + 1, "||");
      skipBlanks();
      if (text[pos] !== ")") {
        throw new ConditionSyntaxError(`expected ')' after conditional expression`);
      }
      pos++;
      skipBlanks();
      return value;
    }
    let end = pos;
    while (end < text.length && text[end] !== " " && text[end] !== "(") end++;
    const name = text.slice(pos, end);
    const arity = Object.hasOwn(PREDICATES, name) ? PREDICATES[name] : undefined;
    if (arity === undefined) {
      throw new ConditionSyntaxError(`unparsable conditional expression '${text.slice(pos)}'`);
    }
    pos = end;
    return applyPredicate(name, parseArgs(name, arity));
  }

  /** HAProxy's make_arg_list() for string arguments. */
  function parseArgs(name: string, arity: number): string[] {
    const args: string[] = [];
    if (text[pos] === "(") {
      pos++;
      while (args.length < arity) {
        let arg = "";
        let squote = false;
        let dquote = false;
        while (pos < text.length) {
          const c = text[pos];
          if (c === '"' && !squote) {
            dquote = !dquote;
            pos++;
          } else if (c === "'" && !dquote) {
            squote = !squote;
            pos++;
          } else if (c === "\\" && !squote) {
            const next = text[pos + 1];
            if (next === undefined) {
              throw new ConditionSyntaxError(`unterminated escape in argument of '${name}'`);
            }
            if (next === "\\" || next === " " || next === '"' || next === "'") {
              arg += next;
              pos += 2;
            } else if (next === "r" || next === "n" || next === "t") {
              arg += next === "r" ? "\r" : next === "n" ? "\n" : "\t";
              pos += 2;
            } else {
              arg += "\\";
              pos++;
            }
          } else if (!squote && !dquote && (c === "," || c === ")")) {
            break;
          } else {
            arg += c;
            pos++;
          }
        }
        args.push(arg);
        if (pos >= text.length || text[pos] === ")" || args.length >= arity) break;
        pos++;
      }
    }
    if (args.length < arity) {
      throw new ConditionSyntaxError(
        `missing arguments (got ${args.length}/${arity}) to predicate '${name}'`,
      );
    }
    if (text[pos] !== ")") {
      throw new ConditionSyntaxError(`expected ')' after the arguments of '${name}'`);
    }
    pos++;
    return args;
  }

  function applyPredicate(name: string, args: string[]): ConditionValue {
    switch (name) {
      case "defined":
        return env(args[0]) !== undefined;
      case "streq":
        return args[0] === args[1];
      case "strneq":
        return args[0] !== args[1];
      case "strstr":
        return args[0].includes(args[1]);
      case "version_atleast":
      case "version_before": {
        const order = compareVersions(haproxyVersion, args[0]);
        if (order === "unknown") {
          reasons.push(`${name}(${args[0]}) against assumed HAProxy ${haproxyVersion}`);
          return "unknown";
        }
        const atLeast = order !== "lt";
        return name === "version_atleast" ? atLeast : !atLeast;
      }
      default:
        reasons.push(`${name}(${args.join(",")}) depends on how HAProxy was built`);
        return "unknown";
    }
  }

  try {
    skipBlanks();
    if (pos >= text.length) return { value: false };
    const value = parseChain(0, "||");
    skipBlanks();
    if (pos < text.length) {
      throw new ConditionSyntaxError(
        `unexpected character '${text[pos]}' at the end of conditional expression`,
      );
    }
    return value === "unknown" ? { value, reason: reasons.join("; ") } : { value };
  } catch (err) {
    if (err instanceof ConditionSyntaxError) return { value: "unknown", reason: err.message };
    throw err;
  }
}
