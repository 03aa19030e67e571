/**
 * The directive reader's `crt-store` sections (HAProxy 3.0+, src/ssl_ckch.c
 * `crtstore_parse_load()`): their `crt-base` / `key-base` and the
 * certificates their `load` lines put in HAProxy's certificate store.
 *
 * @module
 */

import { resolve } from "node:path";
import type { ReaderState, StoreCert, StoreSection } from "./_reader_state.ts";
import type { HaproxyCrtStoreLoad } from "./types.ts";

/** The parameters of a crt-store `load` line, each followed by one value (src/ssl_ckch.c `ckch_conf_kws`). */
const LOAD_KEYWORDS = new Set(["crt", "key", "ocsp", "issuer", "sctl", "alias", "ocsp-update"]);

/**
 * `crt-store [<name>]`: the section starts with the global `crt-base` and `key-base`.
 *
 * @param state The reader's state.
 * @param words The line's words.
 * @param where `file:line`, for warnings.
 * @returns The section.
 */
export function beginStore(state: ReaderState, words: string[], where: string): StoreSection {
  if (words.length > 2) {
    state.warnings.push(
      `${where}: 'crt-store' takes only a <name> (HAProxy refuses this section)`,
    );
  }
  return { name: words[1] ?? "", crtBase: state.crtBase, keyBase: state.keyBase, loaded: false };
}

/**
 * Reads one directive of a `crt-store` section.
 *
 * @param state The reader's state.
 * @param store The section.
 * @param words The line's words.
 * @param where `file:line`, for warnings.
 */
export async function storeDirective(
  state: ReaderState,
  store: StoreSection,
  words: string[],
  where: string,
): Promise<void> {
  const [keyword] = words;
  if (keyword === "crt-base" || keyword === "key-base") {
    if (!words[1]) {
      state.warnings.push(`${where}: '${keyword}' requires a <path> argument`);
    } else if (store.loaded) {
      state.warnings.push(
        `${where}: '${keyword}' after a load line (HAProxy refuses this); ignored`,
      );
    } else if (keyword === "crt-base") {
      store.crtBase = words[1];
    } else {
      store.keyBase = words[1];
    }
  } else if (keyword === "load") {
    await load(state, store, words, where);
  } else {
    state.warnings.push(
      `${where}: unknown keyword '${keyword}' in a crt-store section (HAProxy refuses this)`,
    );
  }
}

/** `load crt <file> [key <file>] [ocsp <file>] [issuer <file>] [sctl <file>] [alias <name>] [ocsp-update on|off]`. */
async function load(
  state: ReaderState,
  store: StoreSection,
  words: string[],
  where: string,
): Promise<void> {
  const values = new Map<string, string>();
  for (let i = 1; i < words.length; i += 2) {
    const keyword = words[i];
    const value = words[i + 1];
    if (!LOAD_KEYWORDS.has(keyword)) {
      state.warnings.push(
        `${where}: 'load' has an unknown keyword '${keyword}' (HAProxy refuses this); line ignored`,
      );
      return;
    }
    if (!value) {
      state.warnings.push(`${where}: 'load ... ${keyword}' expects a value; line ignored`);
      return;
    }
    values.set(keyword, value);
  }
  const crt = values.get("crt");
  const alias = values.get("alias");
  const ocspUpdate = values.get("ocsp-update");
  if (!crt) {
    state.warnings.push(`${where}: 'load' without 'crt <file>' (HAProxy refuses this)`);
    return;
  }
  if (alias?.startsWith("/")) {
    state.warnings.push(`${where}: 'alias' may not start with '/' (HAProxy refuses this)`);
    return;
  }
  if (ocspUpdate !== undefined && ocspUpdate !== "on" && ocspUpdate !== "off") {
    state.warnings.push(`${where}: 'ocsp-update' expects on or off (HAProxy refuses this)`);
    return;
  }
  store.loaded = true;
  let name: string;
  if (alias !== undefined) name = `@${store.name}/${alias}`;
  else if (store.name) name = `@${store.name}${crt.startsWith("/") ? "" : "/"}${crt}`;
  else if (state.crtBase !== undefined && !crt.startsWith("/")) name = `${state.crtBase}/${crt}`;
  else name = crt;
  if (state.storeCerts.has(name)) {
    state.warnings.push(
      `${where}: '${name}' is already defined by ${
        state.storeCerts.get(name)?.load.origin
      } (HAProxy refuses this)`,
    );
    return;
  }
  const file = (value: string, base: string | undefined) =>
    resolve(
      state.baseDir(),
      base !== undefined && !value.startsWith("/") ? `${base}/${value}` : value,
    );
  const load: HaproxyCrtStoreLoad = { store: store.name, origin: where };
  if (alias !== undefined) load.alias = alias;
  const key = values.get("key");
  if (key !== undefined) load.keyFile = file(key, store.keyBase);
  const sctl = values.get("sctl");
  if (sctl !== undefined) load.sctlFile = file(sctl, store.crtBase);
  if (ocspUpdate === "on" || ocspUpdate === "off") load.ocspUpdate = ocspUpdate;
  const stored: StoreCert = { name, path: file(crt, store.crtBase), load };
  const ocsp = values.get("ocsp");
  if (ocsp !== undefined) stored.stapleFile = file(ocsp, store.crtBase);
  const issuer = values.get("issuer");
  if (issuer !== undefined) stored.issuerFile = file(issuer, store.crtBase);
  // HAProxy reads every named file here and refuses to start without one.
  if (await state.kind(stored.path) === "missing") {
    state.warnings.push(`${where}: certificate ${stored.path} does not exist`);
  }
  if (stored.stapleFile !== undefined && await state.kind(stored.stapleFile) === "missing") {
    state.warnings.push(
      `${where}: staple file ${stored.stapleFile} does not exist; HAProxy refuses to start until stapled writes it`,
    );
  }
  if (stored.issuerFile !== undefined && await state.kind(stored.issuerFile) === "missing") {
    state.warnings.push(`${where}: issuer file ${stored.issuerFile} does not exist`);
  }
  state.storeCerts.set(name, stored);
}
