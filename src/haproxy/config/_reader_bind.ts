/**
 * The directive reader's `bind` lines and crt-lists: the certificates a
 * `crt` or `crt-list` names (with HAProxy's bundle extensions and 3.0
 * crt-list file options), joined to `crt-base`, matched to `crt-store`
 * certificates, and completed with what the line's moment decides.
 *
 * @module
 */

import { resolve } from "node:path";
import { ioReason } from "./_io.ts";
import { BIND_VALUE_KEYWORDS, bindOptions, CERT_KEYWORDS } from "./_keywords.ts";
import { parseCrtList } from "./parse_crt_list.ts";
import type { ReaderState, StoreCert } from "./_reader_state.ts";
import type { HaproxyCertEntry, HaproxyExtraFiles, HaproxyOcspUpdate } from "./types.ts";

/** HAProxy's SSL_SOCK_KEYTYPE_NAMES, tried when a `crt` file is missing. */
const BUNDLE_EXTENSIONS = ["dsa", "ecdsa", "rsa"];
/** The `load` parameters a 3.0 crt-list line also takes (`alias` has no meaning there). */
const CRT_LIST_FILE_KEYWORDS = new Set(["crt", "key", "ocsp", "issuer", "sctl", "ocsp-update"]);

/** The certificate files a 3.0 crt-list line names in its options. */
interface CrtListFiles {
  ocspUpdate?: "on" | "off";
  /** `key`, `ocsp`, `issuer` or `sctl` named: HAProxy reads only the named files. */
  named: boolean;
  ocsp?: string;
  issuer?: string;
}

/**
 * Reads a `bind` line's `crt` and `crt-list` options.
 *
 * @param state The reader's state.
 * @param words The line's words.
 * @param where `file:line`, for warnings.
 */
export async function bindLine(state: ReaderState, words: string[], where: string): Promise<void> {
  if (!words[1]) {
    state.warnings.push(`${where}: 'bind' expects an address`);
    return;
  }
  for (const [option, at] of bindOptions(words, 2)) {
    if (!CERT_KEYWORDS.has(option)) continue;
    const value = words[at + 1];
    if (!value) {
      state.warnings.push(`${where}: '${option}' : missing certificate location`);
    } else if (option === "crt-list") {
      await crtList(state, value, where);
    } else {
      await cert(state, value, where, false);
    }
  }
}

async function crtList(state: ReaderState, name: string, where: string): Promise<void> {
  const file = resolve(state.baseDir(), name);
  let text: string;
  try {
    text = await state.io.readTextFile(file);
  } catch (err) {
    state.warnings.push(`${where}: cannot read crt-list ${file}: ${ioReason(err)}`);
    return;
  }
  if (!state.crtListFiles.includes(file)) state.crtListFiles.push(file);
  const { entries, warnings } = parseCrtList(text, file);
  state.warnings.push(...warnings);
  for (const entry of entries) {
    const where = `${file}:${entry.line}`;
    await cert(state, entry.path, where, true, crtListFiles30(state, entry.options, where));
  }
}

async function cert(
  state: ReaderState,
  name: string,
  origin: string,
  inCrtList: boolean,
  files: CrtListFiles = { named: false },
): Promise<void> {
  if (name.startsWith("@")) {
    const stored = state.storeCerts.get(name);
    if (stored) addStoreCert(state, stored, origin, files);
    else {
      state.warnings.push(
        `${origin}: no crt-store 'load' line names a certificate '${name}' (HAProxy refuses this); certificate ignored`,
      );
    }
    return;
  }
  const haproxyPath = name.startsWith("/") || state.crtBase === undefined
    ? name
    : `${state.crtBase}/${name}`;
  // An unnamed crt-store's certificates are named by their path: HAProxy
  // takes the stored one rather than reading the file again.
  const stored = state.storeCerts.get(haproxyPath);
  if (stored) {
    addStoreCert(state, stored, origin, files);
    return;
  }
  const path = resolve(state.baseDir(), haproxyPath);
  const kind = await state.kind(path);
  if (kind === "dir" && inCrtList) {
    state.warnings.push(`${origin}: ${path} is a directory; HAProxy accepts only files here`);
  }
  if (kind !== "missing") {
    addCert(state, path, haproxyPath, kind, origin, files);
    return;
  }
  let bundled = 0;
  if (state.bundles) {
    for (const extension of BUNDLE_EXTENSIONS) {
      if (await state.kind(`${path}.${extension}`) !== "file") continue;
      addCert(state, `${path}.${extension}`, `${haproxyPath}.${extension}`, "file", origin);
      bundled++;
    }
  }
  if (!bundled) {
    state.warnings.push(`${origin}: certificate ${path} does not exist`);
    addCert(state, path, haproxyPath, "file", origin);
  }
}

function addCert(
  state: ReaderState,
  path: string,
  haproxyPath: string,
  kind: "file" | "dir",
  origin: string,
  files: CrtListFiles = { named: false },
): void {
  const key = `${kind}:${path}`;
  if (state.certKeys.has(key)) return;
  state.certKeys.add(key);
  const stapleNaming = state.delExt ? "replace-ext" : "append";
  const extraFiles: HaproxyExtraFiles = files.named
    ? { ocsp: files.ocsp !== undefined, issuer: files.issuer !== undefined, origin }
    : { ...state.extraFiles };
  const entry: HaproxyCertEntry = { path, haproxyPath, kind, origin, stapleNaming, extraFiles };
  if (files.ocsp !== undefined) entry.stapleFile = files.ocsp;
  if (files.issuer !== undefined) entry.issuerFile = files.issuer;
  finishEntry(state, entry, files.ocspUpdate, origin, "ocsp-update on (crt-list line)");
  state.certs.push(entry);
}

function addStoreCert(
  state: ReaderState,
  stored: StoreCert,
  origin: string,
  files: CrtListFiles,
): void {
  // A crt-list line may repeat the load line's parameters, not change them.
  if (
    files.named || (files.ocspUpdate !== undefined && files.ocspUpdate !== stored.load.ocspUpdate)
  ) {
    state.warnings.push(
      `${origin}: '${stored.name}' has other parameters here than on its load line at ${stored.load.origin} (HAProxy refuses this); using the load line's`,
    );
  }
  const key = `file:${stored.path}`;
  if (state.certKeys.has(key)) return;
  state.certKeys.add(key);
  const extraFiles: HaproxyExtraFiles = {
    ocsp: stored.stapleFile !== undefined,
    issuer: stored.issuerFile !== undefined,
    origin: stored.load.origin,
  };
  const entry: HaproxyCertEntry = {
    path: stored.path,
    haproxyPath: stored.name,
    kind: "file",
    origin,
    stapleNaming: "append",
    extraFiles,
    crtStore: { ...stored.load },
  };
  if (stored.stapleFile !== undefined) entry.stapleFile = stored.stapleFile;
  if (stored.issuerFile !== undefined) entry.issuerFile = stored.issuerFile;
  finishEntry(
    state,
    entry,
    stored.load.ocspUpdate,
    stored.load.origin,
    "ocsp-update on (crt-store load line)",
  );
  state.certs.push(entry);
}

/** Adds what the `bind` line's moment decides: HAProxy's updater and `issuers-chain-path`. */
function finishEntry(
  state: ReaderState,
  entry: HaproxyCertEntry,
  ocspUpdate: "on" | "off" | undefined,
  origin: string,
  setting: string,
): void {
  let updates: HaproxyOcspUpdate | undefined;
  if (ocspUpdate === "on") updates = { origin, setting };
  else if (ocspUpdate === undefined && state.ocspUpdateMode?.on) {
    updates = { origin: state.ocspUpdateMode.origin, setting: "ocsp-update.mode on (global)" };
  }
  if (updates) entry.haproxyUpdates = updates;
  if (state.issuersChainPath !== undefined) entry.issuersChainPath = state.issuersChainPath;
}

/**
 * The certificate-file options of a crt-list line (HAProxy 3.0
 * `crtlist_parse_line()`): `ocsp-update`, and `key` / `ocsp` / `issuer` /
 * `sctl`, with which HAProxy reads only the named files. Relative files
 * are not joined to any `crt-base`.
 */
function crtListFiles30(state: ReaderState, options: string[], where: string): CrtListFiles {
  const files: CrtListFiles = { named: false };
  for (let i = 0; i < options.length; i++) {
    const option = options[i];
    if (CRT_LIST_FILE_KEYWORDS.has(option)) {
      const value = options[i + 1];
      i++;
      if (value === undefined) continue;
      if (option === "ocsp-update") {
        if (value === "on" || value === "off") files.ocspUpdate = value;
        else {
          state.warnings.push(
            `${where}: 'ocsp-update' expects on or off (HAProxy refuses this line)`,
          );
        }
      } else if (option !== "crt") {
        files.named = true;
        if (option === "ocsp") files.ocsp = resolve(state.baseDir(), value);
        if (option === "issuer") files.issuer = resolve(state.baseDir(), value);
      }
    } else if (BIND_VALUE_KEYWORDS.has(option)) {
      i++;
    }
  }
  return files;
}
