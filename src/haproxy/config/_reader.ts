/**
 * The directive reader: walks the tokenized lines of one HAProxy
 * configuration (one or several files read as one), applies the
 * conditional blocks, and dispatches each directive by section: `global`
 * (_reader_global.ts), `bind` lines and crt-lists (_reader_bind.ts) and
 * `crt-store` sections (_reader_store.ts), which share the state HAProxy
 * keeps while parsing (_reader_state.ts). It collects certificates and
 * stats sockets.
 *
 * @module
 */

import { CONDITIONAL_DIRECTIVES, ConditionStack } from "./_conditional.ts";
import type { ConfigIo } from "./_io.ts";
import { BIND_SECTIONS, SECTION_KEYWORDS } from "./_keywords.ts";
import { bindLine } from "./_reader_bind.ts";
import { globalDirective } from "./_reader_global.ts";
import { ReaderState } from "./_reader_state.ts";
import { beginStore, storeDirective } from "./_reader_store.ts";
import { evaluateHaproxyCondition } from "./evaluate_condition.ts";
import { tokenizeHaproxyLine } from "./tokenize_line.ts";
import type { HaproxyConfigResult } from "./types.ts";

/** Reads the files of one configuration in order and gathers the result. */
export class ConfigReader {
  #state: ReaderState;

  /**
   * @param io I/O and environment.
   */
  constructor(io: ConfigIo) {
    this.#state = new ReaderState(io);
  }

  /**
   * Adds a warning not tied to a line.
   *
   * @param warning The full warning text.
   */
  warn(warning: string): void {
    this.#state.warnings.push(warning);
  }

  /**
   * Reads one configuration file's text.
   *
   * @param file The file's absolute path.
   * @param text Its contents.
   */
  async readFile(file: string, text: string): Promise<void> {
    const state = this.#state;
    state.file = file;
    state.section = "";
    state.sectionLabel = "";
    state.store = undefined;
    const conditions = new ConditionStack();
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    for (let index = 0; index < lines.length; index++) {
      const lineNumber = index + 1;
      const where = `${file}:${lineNumber}`;
      let line = lines[index];
      const nul = line.indexOf("\0");
      if (nul >= 0) {
        state.warnings.push(`${where}: stray NUL character; HAProxy stops reading the file here`);
        line = line.slice(0, nul);
      }
      const { words, error } = tokenizeHaproxyLine(line, {
        env: state.io.env,
        file,
        lineNumber,
        section: state.sectionLabel,
      });
      if (error) state.warnings.push(`${where}: ${error}; line ignored`);
      if (words.length && words[0] !== "") {
        if (CONDITIONAL_DIRECTIVES.has(words[0])) {
          state.warnings.push(
            ...conditions.apply(words, where, (condition) =>
              evaluateHaproxyCondition(condition, {
                env: state.io.env,
                haproxyVersion: state.io.haproxyVersion,
              })),
          );
        } else if (conditions.active) {
          await this.#directive(words, where);
        }
      }
      if (nul >= 0) break;
    }
    state.warnings.push(...conditions.unclosed());
  }

  /**
   * Returns what was gathered.
   *
   * @param configFiles The files that were read.
   * @returns The result.
   */
  result(configFiles: string[]): HaproxyConfigResult {
    const state = this.#state;
    let certs = [...state.certs];
    const disabled = state.ocspUpdateDisabled;
    if (disabled !== undefined) {
      // HAProxy checks ocsp-update.disable once the whole configuration is read.
      certs = certs.map(({ haproxyUpdates: _, ...cert }) => cert);
      state.warnings.push(
        `${disabled}: 'ocsp-update.disable on': HAProxy's own OCSP updater never runs; stapled pushes every staple`,
      );
    }
    const result: HaproxyConfigResult = {
      configFiles,
      crtListFiles: [...state.crtListFiles],
      certs,
      sockets: [...state.sockets],
      warnings: [...state.warnings],
    };
    if (state.issuersChainPath !== undefined) result.issuersChainPath = state.issuersChainPath;
    return result;
  }

  async #directive(words: string[], where: string): Promise<void> {
    const state = this.#state;
    const [keyword] = words;
    if (SECTION_KEYWORDS.has(keyword)) {
      state.section = keyword;
      state.sectionLabel = words[1] ?? keyword;
      state.store = keyword === "crt-store" ? beginStore(state, words, where) : undefined;
    } else if (keyword === ".alert") {
      state.warnings.push(`${where}: '.alert ${words.slice(1).join(" ")}': HAProxy stops here`);
    } else if (state.section === "global") {
      globalDirective(state, words, where);
    } else if (state.store) {
      await storeDirective(state, state.store, words, where);
    } else if (keyword === "bind" && BIND_SECTIONS.has(state.section)) {
      await bindLine(state, words, where);
    }
  }
}
