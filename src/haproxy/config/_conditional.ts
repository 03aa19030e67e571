/**
 * Tracks nested `.if` / `.elif` / `.else` / `.endif` blocks of one
 * configuration file, as HAProxy 2.6's `readcfgfile()` (src/cfgparse.c)
 * does, with a third answer: a condition stapled cannot evaluate makes it
 * read that branch and still consider the following ones.
 *
 * @module
 */

import type { ConditionResult } from "./evaluate_condition.ts";

/** The four conditional directives. */
export const CONDITIONAL_DIRECTIVES: ReadonlySet<string> = new Set([
  ".if",
  ".elif",
  ".else",
  ".endif",
]);

interface Level {
  /** Whether lines at this level are read. */
  active: boolean;
  /** Whether an earlier branch of this level was surely, maybe or not taken. */
  taken: "yes" | "maybe" | "no";
  sawElse: boolean;
  where: string;
}

/** The conditional state of one file being read. */
export class ConditionStack {
  #levels: Level[] = [];

  /** Whether the current line is inside taken (or possibly taken) branches only. */
  get active(): boolean {
    return this.#levels.at(-1)?.active ?? true;
  }

  /**
   * Applies one conditional directive.
   *
   * @param words The line's words, the directive first.
   * @param where `"file:line"` of the line.
   * @param evaluate Evaluates a condition text.
   * @returns Warnings, `"file:line: message"`.
   */
  apply(words: string[], where: string, evaluate: (text: string) => ConditionResult): string[] {
    const [directive, ...rest] = words;
    const top = this.#levels.at(-1);
    const text = rest.join(" ");
    const warnings: string[] = [];
    function decide(): ConditionResult["value"] {
      const { value, reason } = evaluate(text);
      if (value === "unknown") {
        warnings.push(
          `${where}: cannot evaluate '${directive} ${text}' (${reason}); reading both branches`,
        );
      }
      return value;
    }
    switch (directive) {
      case ".if": {
        if (top && !top.active) {
          this.#levels.push({ active: false, taken: "yes", sawElse: false, where });
          break;
        }
        const value = decide();
        this.#levels.push({
          active: value !== false,
          taken: value === true ? "yes" : value === false ? "no" : "maybe",
          sawElse: false,
          where,
        });
        break;
      }
      case ".elif": {
        if (!top) return [`${where}: '.elif' without '.if' (HAProxy refuses this); ignored`];
        if (top.sawElse) return [`${where}: '.elif' after '.else' (HAProxy refuses this); ignored`];
        if (top.taken === "yes") {
          top.active = false;
          break;
        }
        const value = decide();
        top.active = value !== false;
        if (value === true) top.taken = "yes";
        else if (value === "unknown") top.taken = "maybe";
        break;
      }
      case ".else":
      case ".endif": {
        if (rest.length) {
          warnings.push(`${where}: unexpected argument '${rest[0]}' for '${directive}'`);
        }
        if (!top) {
          warnings.push(`${where}: '${directive}' without '.if' (HAProxy refuses this); ignored`);
        } else if (directive === ".endif") {
          this.#levels.pop();
        } else if (top.sawElse) {
          warnings.push(`${where}: '.else' after '.else' (HAProxy refuses this); ignored`);
        } else {
          top.sawElse = true;
          top.active = top.taken !== "yes";
          top.taken = "yes";
        }
        break;
      }
    }
    return warnings;
  }

  /**
   * Lists the blocks still open at the end of the file.
   *
   * @returns One warning per unclosed `.if`.
   */
  unclosed(): string[] {
    return this.#levels.map((level) => `${level.where}: '.if' without '.endif'`);
  }
}
