/**
 * The directive reader's `global` section: `crt-base`, `key-base`,
 * `ocsp-update.*`, `issuers-chain-path`, `ssl-load-extra-*`, `unix-bind`,
 * `default-path` and `stats socket`, kept in the reader's state for the
 * lines read after them.
 *
 * @module
 */

import { resolve } from "node:path";
import { bindOptions } from "./_keywords.ts";
import { readSocketAddress } from "../address.ts";
import type { ReaderState } from "./_reader_state.ts";
import type { HaproxySocketAddress } from "./types.ts";

const EXTRA_FILES = ["bundle", "sctl", "ocsp", "issuer", "key"];
const DEFAULT_PATH_MODES = new Set(["current", "config", "parent", "origin"]);

/**
 * Reads one directive of the `global` section.
 *
 * @param state The reader's state.
 * @param words The line's words.
 * @param where `file:line`, for warnings.
 */
export function globalDirective(state: ReaderState, words: string[], where: string): void {
  switch (words[0]) {
    case "crt-base":
      if (words.length !== 2 || !words[1]) {
        state.warnings.push(`${where}: 'crt-base' expects exactly one directory path`);
      } else if (state.crtBase !== undefined) {
        state.warnings.push(
          `${where}: 'crt-base' already specified (HAProxy refuses this); keeping '${state.crtBase}'`,
        );
      } else {
        state.crtBase = words[1];
      }
      break;
    case "key-base":
      if (words.length !== 2 || !words[1]) {
        state.warnings.push(`${where}: 'key-base' expects exactly one directory path`);
      } else if (state.keyBase !== undefined) {
        state.warnings.push(
          `${where}: 'key-base' already specified (HAProxy refuses this); keeping '${state.keyBase}'`,
        );
      } else {
        state.keyBase = words[1];
      }
      break;
    case "ocsp-update.mode":
      if (words[1] !== "on" && words[1] !== "off") {
        state.warnings.push(
          `${where}: 'ocsp-update.mode' expects on or off (HAProxy refuses this)`,
        );
      } else {
        // In effect for the bind lines read after it (HAProxy 3.0; 2.8 refuses the keyword).
        state.ocspUpdateMode = { on: words[1] === "on", origin: where };
      }
      break;
    case "ocsp-update.disable":
      if (words[1] === "on") state.ocspUpdateDisabled = where;
      else if (words[1] === "off") state.ocspUpdateDisabled = undefined;
      else {
        state.warnings.push(
          `${where}: 'ocsp-update.disable' expects on or off (HAProxy refuses this)`,
        );
      }
      break;
    case "issuers-chain-path":
      if (words.length !== 2 || !words[1]) {
        state.warnings.push(`${where}: 'issuers-chain-path' expects exactly one directory path`);
      } else {
        // HAProxy reads the directory here; a later line replaces it.
        state.issuersChainPath = resolve(state.baseDir(), words[1]);
      }
      break;
    case "ssl-load-extra-del-ext":
      state.delExt = true;
      break;
    case "ssl-load-extra-files":
      loadExtraFiles(state, words, where);
      break;
    case "unix-bind": {
      const at = words.indexOf("prefix");
      if (at > 0) state.unixPrefix = words[at + 1] ?? "";
      break;
    }
    case "default-path":
      if (!DEFAULT_PATH_MODES.has(words[1]) || (words[1] === "origin" && !words[2])) {
        state.warnings.push(
          `${where}: 'default-path' expects current, config, parent or origin <path>`,
        );
      } else {
        state.defaultPath = { mode: words[1], origin: words[2] ?? "" };
      }
      break;
    case "stats":
      if (words[1] === "socket") statsSocket(state, words, where);
      break;
  }
}

/**
 * `ssl-load-extra-files`, as src/cfgparse-ssl.c parses it: `all` or `none`
 * alone, or some of the other keywords; the last line before a `bind`
 * applies to it. HAProxy refuses a bad line; stapled keeps the setting it had.
 */
function loadExtraFiles(state: ReaderState, words: string[], where: string): void {
  const values = words.slice(1);
  const all = values.length === 1 && values[0] === "all";
  const none = values.length === 1 && values[0] === "none";
  if (!values.length || !all && !none && values.some((v) => !EXTRA_FILES.includes(v))) {
    state.warnings.push(
      `${where}: 'ssl-load-extra-files' expects none, all, or some of ${
        EXTRA_FILES.join(", ")
      } (HAProxy refuses this line); keeping the previous setting`,
    );
    return;
  }
  const set = new Set(all ? EXTRA_FILES : none ? [] : values);
  state.bundles = set.has("bundle");
  state.extraFiles = { ocsp: set.has("ocsp"), issuer: set.has("issuer"), origin: where };
  if (!set.has("ocsp")) {
    state.warnings.push(
      `${where}: 'ssl-load-extra-files' without 'ocsp': HAProxy does not load .ocsp files when it starts; stapled still writes them and pushes each staple over the stats socket (HAProxy serves it until it reloads)`,
    );
  } else if (!set.has("issuer")) {
    state.warnings.push(
      `${where}: 'ssl-load-extra-files' without 'issuer': HAProxy does not read .issuer files, so a certificate whose issuer is not in its bundle gets no staple (HAProxy refuses to start with a .ocsp it cannot match)`,
    );
  }
}

function statsSocket(state: ReaderState, words: string[], where: string): void {
  const address = words[2];
  if (!address) {
    state.warnings.push(`${where}: 'stats socket' expects an address or a path`);
    return;
  }
  let level = "operator";
  for (const [option, at] of bindOptions(words, 3)) {
    if (option === "level" && words[at + 1]) level = words[at + 1];
  }
  const parsed = readSocketAddress(address);
  if (!parsed.ok) {
    state.warnings.push(`${where}: ${parsed.reason}; socket ignored`);
    return;
  }
  const { target } = parsed;
  const socket: HaproxySocketAddress = target.transport === "unix"
    ? { ...target, path: resolve(state.baseDir(), state.unixPrefix + target.path), level }
    : { ...target, level };
  const key = socket.transport === "unix"
    ? `unix:${socket.path}`
    : `tcp:${socket.hostname}:${socket.port}`;
  if (!state.socketKeys.has(key)) {
    state.socketKeys.add(key);
    state.sockets.push(socket);
  }
  if (level !== "admin") {
    state.warnings.push(
      `${where}: stats socket ${address} has level ${level}; stapled needs 'level admin' to set staples`,
    );
  }
}
