/**
 * The directive reader: walks the tokenized lines of one HAProxy
 * configuration (one or several files read as one), keeps the global state
 * HAProxy keeps while parsing (`crt-base`, `key-base`, `ssl-load-extra-*`,
 * `unix-bind`, `default-path`, `ocsp-update.mode`, `issuers-chain-path`),
 * the certificates of `crt-store` sections (HAProxy 3.0+, src/ssl_ckch.c
 * `crtstore_parse_load()`), and collects certificates and stats sockets.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { CONDITIONAL_DIRECTIVES, ConditionStack } from "./_conditional.ts";
import { type ConfigIo, ioReason } from "./_io.ts";
import {
  BIND_SECTIONS,
  BIND_VALUE_KEYWORDS,
  bindOptions,
  CERT_KEYWORDS,
  SECTION_KEYWORDS,
} from "./_keywords.ts";
import { evaluateHaproxyCondition } from "./evaluate_condition.ts";
import { parseCrtList } from "./parse_crt_list.ts";
import { readSocketAddress } from "../address.ts";
import { tokenizeHaproxyLine } from "./tokenize_line.ts";
import type {
  HaproxyCertEntry,
  HaproxyConfigResult,
  HaproxyCrtStoreLoad,
  HaproxyExtraFiles,
  HaproxyOcspUpdate,
  HaproxySocketAddress,
} from "./types.ts";

const EXTRA_FILES = ["bundle", "sctl", "ocsp", "issuer", "key"];
/** HAProxy's SSL_SOCK_KEYTYPE_NAMES, tried when a `crt` file is missing. */
const BUNDLE_EXTENSIONS = ["dsa", "ecdsa", "rsa"];
const DEFAULT_PATH_MODES = new Set(["current", "config", "parent", "origin"]);
/** The parameters of a crt-store `load` line, each followed by one value (src/ssl_ckch.c `ckch_conf_kws`). */
const LOAD_KEYWORDS = new Set(["crt", "key", "ocsp", "issuer", "sctl", "alias", "ocsp-update"]);
/** The `load` parameters a 3.0 crt-list line also takes (`alias` has no meaning there). */
const CRT_LIST_FILE_KEYWORDS = new Set(["crt", "key", "ocsp", "issuer", "sctl", "ocsp-update"]);

/** The `crt-store` section being read. */
interface StoreSection {
  name: string;
  /** The section's `crt-base`: the global one until the section sets its own. */
  crtBase: string | undefined;
  keyBase: string | undefined;
  /** A `load` line was read (then `crt-base` / `key-base` are refused). */
  loaded: boolean;
}

/** A certificate a `load` line put in HAProxy's certificate store. */
interface StoreCert {
  /** HAProxy's name for it (`@web/k1.pem`). */
  name: string;
  path: string;
  load: HaproxyCrtStoreLoad;
  stapleFile?: string;
  issuerFile?: string;
}

/** The certificate files a 3.0 crt-list line names in its options. */
interface CrtListFiles {
  ocspUpdate?: "on" | "off";
  /** `key`, `ocsp`, `issuer` or `sctl` named: HAProxy reads only the named files. */
  named: boolean;
  ocsp?: string;
  issuer?: string;
}

/** Reads the files of one configuration in order and gathers the result. */
export class ConfigReader {
  #io: ConfigIo;
  #certs: HaproxyCertEntry[] = [];
  #certKeys = new Set<string>();
  #sockets: HaproxySocketAddress[] = [];
  #socketKeys = new Set<string>();
  #crtListFiles: string[] = [];
  #warnings: string[] = [];
  #crtBase: string | undefined;
  #keyBase: string | undefined;
  #store: StoreSection | undefined;
  #storeCerts = new Map<string, StoreCert>();
  #ocspUpdateMode: { on: boolean; origin: string } | undefined;
  #ocspUpdateDisabled: string | undefined;
  #issuersChainPath: string | undefined;
  #delExt = false;
  #extraFiles: HaproxyExtraFiles = { ocsp: true, issuer: true };
  #bundles = true;
  #unixPrefix = "";
  #defaultPath: { mode: string; origin: string } = { mode: "current", origin: "" };
  #file = "";
  #section = "";
  #sectionLabel = "";

  /**
   * @param io I/O and environment.
   */
  constructor(io: ConfigIo) {
    this.#io = io;
  }

  /**
   * Adds a warning not tied to a line.
   *
   * @param warning The full warning text.
   */
  warn(warning: string): void {
    this.#warnings.push(warning);
  }

  /**
   * Reads one configuration file's text.
   *
   * @param file The file's absolute path.
   * @param text Its contents.
   */
  async readFile(file: string, text: string): Promise<void> {
    this.#file = file;
    this.#section = "";
    this.#sectionLabel = "";
    this.#store = undefined;
    const conditions = new ConditionStack();
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    for (let index = 0; index < lines.length; index++) {
      const lineNumber = index + 1;
      const where = `${file}:${lineNumber}`;
      let line = lines[index];
      const nul = line.indexOf("\0");
      if (nul >= 0) {
        this.#warnings.push(`${where}: stray NUL character; HAProxy stops reading the file here`);
        line = line.slice(0, nul);
      }
      const { words, error } = tokenizeHaproxyLine(line, {
        env: this.#io.env,
        file,
        lineNumber,
        section: this.#sectionLabel,
      });
      if (error) this.#warnings.push(`${where}: ${error}; line ignored`);
      if (words.length && words[0] !== "") {
        if (CONDITIONAL_DIRECTIVES.has(words[0])) {
          this.#warnings.push(
            ...conditions.apply(words, where, (condition) =>
              evaluateHaproxyCondition(condition, {
                env: this.#io.env,
                haproxyVersion: this.#io.haproxyVersion,
              })),
          );
        } else if (conditions.active) {
          await this.#directive(words, where);
        }
      }
      if (nul >= 0) break;
    }
    this.#warnings.push(...conditions.unclosed());
  }

  /**
   * Returns what was gathered.
   *
   * @param configFiles The files that were read.
   * @returns The result.
   */
  result(configFiles: string[]): HaproxyConfigResult {
    let certs = [...this.#certs];
    const disabled = this.#ocspUpdateDisabled;
    if (disabled !== undefined) {
      // HAProxy checks ocsp-update.disable once the whole configuration is read.
      certs = certs.map(({ haproxyUpdates: _, ...cert }) => cert);
      this.#warnings.push(
        `${disabled}: 'ocsp-update.disable on': HAProxy's own OCSP updater never runs; stapled pushes every staple`,
      );
    }
    const result: HaproxyConfigResult = {
      configFiles,
      crtListFiles: [...this.#crtListFiles],
      certs,
      sockets: [...this.#sockets],
      warnings: [...this.#warnings],
    };
    if (this.#issuersChainPath !== undefined) result.issuersChainPath = this.#issuersChainPath;
    return result;
  }

  async #directive(words: string[], where: string): Promise<void> {
    const [keyword] = words;
    if (SECTION_KEYWORDS.has(keyword)) {
      this.#section = keyword;
      this.#sectionLabel = words[1] ?? keyword;
      this.#store = keyword === "crt-store" ? this.#beginStore(words, where) : undefined;
    } else if (keyword === ".alert") {
      this.#warnings.push(`${where}: '.alert ${words.slice(1).join(" ")}': HAProxy stops here`);
    } else if (this.#section === "global") {
      this.#globalDirective(words, where);
    } else if (this.#store) {
      await this.#storeDirective(this.#store, words, where);
    } else if (keyword === "bind" && BIND_SECTIONS.has(this.#section)) {
      await this.#bind(words, where);
    }
  }

  #globalDirective(words: string[], where: string): void {
    switch (words[0]) {
      case "crt-base":
        if (words.length !== 2 || !words[1]) {
          this.#warnings.push(`${where}: 'crt-base' expects exactly one directory path`);
        } else if (this.#crtBase !== undefined) {
          this.#warnings.push(
            `${where}: 'crt-base' already specified (HAProxy refuses this); keeping '${this.#crtBase}'`,
          );
        } else {
          this.#crtBase = words[1];
        }
        break;
      case "key-base":
        if (words.length !== 2 || !words[1]) {
          this.#warnings.push(`${where}: 'key-base' expects exactly one directory path`);
        } else if (this.#keyBase !== undefined) {
          this.#warnings.push(
            `${where}: 'key-base' already specified (HAProxy refuses this); keeping '${this.#keyBase}'`,
          );
        } else {
          this.#keyBase = words[1];
        }
        break;
      case "ocsp-update.mode":
        if (words[1] !== "on" && words[1] !== "off") {
          this.#warnings.push(
            `${where}: 'ocsp-update.mode' expects on or off (HAProxy refuses this)`,
          );
        } else {
          // In effect for the bind lines read after it (HAProxy 3.0; 2.8 refuses the keyword).
          this.#ocspUpdateMode = { on: words[1] === "on", origin: where };
        }
        break;
      case "ocsp-update.disable":
        if (words[1] === "on") this.#ocspUpdateDisabled = where;
        else if (words[1] === "off") this.#ocspUpdateDisabled = undefined;
        else {
          this.#warnings.push(
            `${where}: 'ocsp-update.disable' expects on or off (HAProxy refuses this)`,
          );
        }
        break;
      case "issuers-chain-path":
        if (words.length !== 2 || !words[1]) {
          this.#warnings.push(`${where}: 'issuers-chain-path' expects exactly one directory path`);
        } else {
          // HAProxy reads the directory here; a later line replaces it.
          this.#issuersChainPath = resolve(this.#baseDir(), words[1]);
        }
        break;
      case "ssl-load-extra-del-ext":
        this.#delExt = true;
        break;
      case "ssl-load-extra-files":
        this.#loadExtraFiles(words, where);
        break;
      case "unix-bind": {
        const at = words.indexOf("prefix");
        if (at > 0) this.#unixPrefix = words[at + 1] ?? "";
        break;
      }
      case "default-path":
        if (!DEFAULT_PATH_MODES.has(words[1]) || (words[1] === "origin" && !words[2])) {
          this.#warnings.push(
            `${where}: 'default-path' expects current, config, parent or origin <path>`,
          );
        } else {
          this.#defaultPath = { mode: words[1], origin: words[2] ?? "" };
        }
        break;
      case "stats":
        if (words[1] === "socket") this.#statsSocket(words, where);
        break;
    }
  }

  /**
   * `ssl-load-extra-files`, as src/cfgparse-ssl.c parses it: `all` or `none`
   * alone, or some of the other keywords; the last line before a `bind`
   * applies to it. HAProxy refuses a bad line; stapled keeps the setting it had.
   */
  #loadExtraFiles(words: string[], where: string): void {
    const values = words.slice(1);
    const all = values.length === 1 && values[0] === "all";
    const none = values.length === 1 && values[0] === "none";
    if (!values.length || !all && !none && values.some((v) => !EXTRA_FILES.includes(v))) {
      this.#warnings.push(
        `${where}: 'ssl-load-extra-files' expects none, all, or some of ${
          EXTRA_FILES.join(", ")
        } (HAProxy refuses this line); keeping the previous setting`,
      );
      return;
    }
    const set = new Set(all ? EXTRA_FILES : none ? [] : values);
    this.#bundles = set.has("bundle");
    this.#extraFiles = { ocsp: set.has("ocsp"), issuer: set.has("issuer"), origin: where };
    if (!set.has("ocsp")) {
      this.#warnings.push(
        `${where}: 'ssl-load-extra-files' without 'ocsp': HAProxy does not load .ocsp files when it starts; stapled still writes them and pushes each staple over the stats socket (HAProxy serves it until it reloads)`,
      );
    } else if (!set.has("issuer")) {
      this.#warnings.push(
        `${where}: 'ssl-load-extra-files' without 'issuer': HAProxy does not read .issuer files, so a certificate whose issuer is not in its bundle gets no staple (HAProxy refuses to start with a .ocsp it cannot match)`,
      );
    }
  }

  /** The directory relative paths are resolved against (see `readHaproxyConfig()`). */
  #baseDir(): string {
    const configDir = dirname(this.#file);
    switch (this.#defaultPath.mode) {
      case "parent":
        return resolve(configDir, "..");
      case "origin":
        return resolve(configDir, this.#defaultPath.origin);
      default:
        return configDir;
    }
  }

  #statsSocket(words: string[], where: string): void {
    const address = words[2];
    if (!address) {
      this.#warnings.push(`${where}: 'stats socket' expects an address or a path`);
      return;
    }
    let level = "operator";
    for (const [option, at] of bindOptions(words, 3)) {
      if (option === "level" && words[at + 1]) level = words[at + 1];
    }
    const parsed = readSocketAddress(address);
    if (!parsed.ok) {
      this.#warnings.push(`${where}: ${parsed.reason}; socket ignored`);
      return;
    }
    const { target } = parsed;
    const socket: HaproxySocketAddress = target.transport === "unix"
      ? { ...target, path: resolve(this.#baseDir(), this.#unixPrefix + target.path), level }
      : { ...target, level };
    const key = socket.transport === "unix"
      ? `unix:${socket.path}`
      : `tcp:${socket.hostname}:${socket.port}`;
    if (!this.#socketKeys.has(key)) {
      this.#socketKeys.add(key);
      this.#sockets.push(socket);
    }
    if (level !== "admin") {
      this.#warnings.push(
        `${where}: stats socket ${address} has level ${level}; stapled needs 'level admin' to set staples`,
      );
    }
  }

  async #bind(words: string[], where: string): Promise<void> {
    if (!words[1]) {
      this.#warnings.push(`${where}: 'bind' expects an address`);
      return;
    }
    for (const [option, at] of bindOptions(words, 2)) {
      if (!CERT_KEYWORDS.has(option)) continue;
      const value = words[at + 1];
      if (!value) {
        this.#warnings.push(`${where}: '${option}' : missing certificate location`);
      } else if (option === "crt-list") {
        await this.#crtList(value, where);
      } else {
        await this.#cert(value, where, false);
      }
    }
  }

  async #crtList(name: string, where: string): Promise<void> {
    const file = resolve(this.#baseDir(), name);
    let text: string;
    try {
      text = await this.#io.readTextFile(file);
    } catch (err) {
      this.#warnings.push(`${where}: cannot read crt-list ${file}: ${ioReason(err)}`);
      return;
    }
    if (!this.#crtListFiles.includes(file)) this.#crtListFiles.push(file);
    const { entries, warnings } = parseCrtList(text, file);
    this.#warnings.push(...warnings);
    for (const entry of entries) {
      const where = `${file}:${entry.line}`;
      await this.#cert(entry.path, where, true, this.#crtListFiles30(entry.options, where));
    }
  }

  async #cert(
    name: string,
    origin: string,
    inCrtList: boolean,
    files: CrtListFiles = { named: false },
  ): Promise<void> {
    if (name.startsWith("@")) {
      const stored = this.#storeCerts.get(name);
      if (stored) this.#addStoreCert(stored, origin, files);
      else {
        this.#warnings.push(
          `${origin}: no crt-store 'load' line names a certificate '${name}' (HAProxy refuses this); certificate ignored`,
        );
      }
      return;
    }
    const haproxyPath = name.startsWith("/") || this.#crtBase === undefined
      ? name
      : `${this.#crtBase}/${name}`;
    // An unnamed crt-store's certificates are named by their path: HAProxy
    // takes the stored one rather than reading the file again.
    const stored = this.#storeCerts.get(haproxyPath);
    if (stored) {
      this.#addStoreCert(stored, origin, files);
      return;
    }
    const path = resolve(this.#baseDir(), haproxyPath);
    const kind = await this.#kind(path);
    if (kind === "dir" && inCrtList) {
      this.#warnings.push(`${origin}: ${path} is a directory; HAProxy accepts only files here`);
    }
    if (kind !== "missing") {
      this.#addCert(path, haproxyPath, kind, origin, files);
      return;
    }
    let bundled = 0;
    if (this.#bundles) {
      for (const extension of BUNDLE_EXTENSIONS) {
        if (await this.#kind(`${path}.${extension}`) !== "file") continue;
        this.#addCert(`${path}.${extension}`, `${haproxyPath}.${extension}`, "file", origin);
        bundled++;
      }
    }
    if (!bundled) {
      this.#warnings.push(`${origin}: certificate ${path} does not exist`);
      this.#addCert(path, haproxyPath, "file", origin);
    }
  }

  async #kind(path: string): Promise<"file" | "dir" | "missing"> {
    try {
      const info = await this.#io.stat(path);
      return info.isDirectory ? "dir" : "file";
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return "missing";
      this.#warnings.push(`${path}: cannot stat certificate: ${ioReason(err)}`);
      return "file";
    }
  }

  #addCert(
    path: string,
    haproxyPath: string,
    kind: "file" | "dir",
    origin: string,
    files: CrtListFiles = { named: false },
  ): void {
    const key = `${kind}:${path}`;
    if (this.#certKeys.has(key)) return;
    this.#certKeys.add(key);
    const stapleNaming = this.#delExt ? "replace-ext" : "append";
    const extraFiles: HaproxyExtraFiles = files.named
      ? { ocsp: files.ocsp !== undefined, issuer: files.issuer !== undefined, origin }
      : { ...this.#extraFiles };
    const entry: HaproxyCertEntry = { path, haproxyPath, kind, origin, stapleNaming, extraFiles };
    if (files.ocsp !== undefined) entry.stapleFile = files.ocsp;
    if (files.issuer !== undefined) entry.issuerFile = files.issuer;
    this.#finishEntry(entry, files.ocspUpdate, origin, "ocsp-update on (crt-list line)");
    this.#certs.push(entry);
  }

  #addStoreCert(stored: StoreCert, origin: string, files: CrtListFiles): void {
    // A crt-list line may repeat the load line's parameters, not change them.
    if (
      files.named || (files.ocspUpdate !== undefined && files.ocspUpdate !== stored.load.ocspUpdate)
    ) {
      this.#warnings.push(
        `${origin}: '${stored.name}' has other parameters here than on its load line at ${stored.load.origin} (HAProxy refuses this); using the load line's`,
      );
    }
    const key = `file:${stored.path}`;
    if (this.#certKeys.has(key)) return;
    this.#certKeys.add(key);
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
    this.#finishEntry(
      entry,
      stored.load.ocspUpdate,
      stored.load.origin,
      "ocsp-update on (crt-store load line)",
    );
    this.#certs.push(entry);
  }

  /** Adds what the `bind` line's moment decides: HAProxy's updater and `issuers-chain-path`. */
  #finishEntry(
    entry: HaproxyCertEntry,
    ocspUpdate: "on" | "off" | undefined,
    origin: string,
    setting: string,
  ): void {
    let updates: HaproxyOcspUpdate | undefined;
    if (ocspUpdate === "on") updates = { origin, setting };
    else if (ocspUpdate === undefined && this.#ocspUpdateMode?.on) {
      updates = { origin: this.#ocspUpdateMode.origin, setting: "ocsp-update.mode on (global)" };
    }
    if (updates) entry.haproxyUpdates = updates;
    if (this.#issuersChainPath !== undefined) entry.issuersChainPath = this.#issuersChainPath;
  }

  /**
   * The certificate-file options of a crt-list line (HAProxy 3.0
   * `crtlist_parse_line()`): `ocsp-update`, and `key` / `ocsp` / `issuer` /
   * `sctl`, with which HAProxy reads only the named files. Relative files
   * are not joined to any `crt-base`.
   */
  #crtListFiles30(options: string[], where: string): CrtListFiles {
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
            this.#warnings.push(
              `${where}: 'ocsp-update' expects on or off (HAProxy refuses this line)`,
            );
          }
        } else if (option !== "crt") {
          files.named = true;
          if (option === "ocsp") files.ocsp = resolve(this.#baseDir(), value);
          if (option === "issuer") files.issuer = resolve(this.#baseDir(), value);
        }
      } else if (BIND_VALUE_KEYWORDS.has(option)) {
        i++;
      }
    }
    return files;
  }

  // --- crt-store (HAProxy 3.0+) --------------------------------------------

  /** `crt-store [<name>]`: the section starts with the global `crt-base` and `key-base`. */
  #beginStore(words: string[], where: string): StoreSection {
    if (words.length > 2) {
      this.#warnings.push(
        `${where}: 'crt-store' takes only a <name> (HAProxy refuses this section)`,
      );
    }
    return { name: words[1] ?? "", crtBase: this.#crtBase, keyBase: this.#keyBase, loaded: false };
  }

  async #storeDirective(store: StoreSection, words: string[], where: string): Promise<void> {
    const [keyword] = words;
    if (keyword === "crt-base" || keyword === "key-base") {
      if (!words[1]) {
        this.#warnings.push(`${where}: '${keyword}' requires a <path> argument`);
      } else if (store.loaded) {
        this.#warnings.push(
          `${where}: '${keyword}' after a load line (HAProxy refuses this); ignored`,
        );
      } else if (keyword === "crt-base") {
        store.crtBase = words[1];
      } else {
        store.keyBase = words[1];
      }
    } else if (keyword === "load") {
      await this.#load(store, words, where);
    } else {
      this.#warnings.push(
        `${where}: unknown keyword '${keyword}' in a crt-store section (HAProxy refuses this)`,
      );
    }
  }

  /** `load crt <file> [key <file>] [ocsp <file>] [issuer <file>] [sctl <file>] [alias <name>] [ocsp-update on|off]`. */
  async #load(store: StoreSection, words: string[], where: string): Promise<void> {
    const values = new Map<string, string>();
    for (let i = 1; i < words.length; i += 2) {
      const keyword = words[i];
      const value = words[i + 1];
      if (!LOAD_KEYWORDS.has(keyword)) {
        this.#warnings.push(
          `${where}: 'load' has an unknown keyword '${keyword}' (HAProxy refuses this); line ignored`,
        );
        return;
      }
      if (!value) {
        this.#warnings.push(`${where}: 'load ... ${keyword}' expects a value; line ignored`);
        return;
      }
      values.set(keyword, value);
    }
    const crt = values.get("crt");
    const alias = values.get("alias");
    const ocspUpdate = values.get("ocsp-update");
    if (!crt) {
      this.#warnings.push(`${where}: 'load' without 'crt <file>' (HAProxy refuses this)`);
      return;
    }
    if (alias?.startsWith("/")) {
      this.#warnings.push(`${where}: 'alias' may not start with '/' (HAProxy refuses this)`);
      return;
    }
    if (ocspUpdate !== undefined && ocspUpdate !== "on" && ocspUpdate !== "off") {
      this.#warnings.push(`${where}: 'ocsp-update' expects on or off (HAProxy refuses this)`);
      return;
    }
    store.loaded = true;
    let name: string;
    if (alias !== undefined) name = `@${store.name}/${alias}`;
    else if (store.name) name = `@${store.name}${crt.startsWith("/") ? "" : "/"}${crt}`;
    else if (this.#crtBase !== undefined && !crt.startsWith("/")) name = `${this.#crtBase}/${crt}`;
    else name = crt;
    if (this.#storeCerts.has(name)) {
      this.#warnings.push(
        `${where}: '${name}' is already defined by ${
          this.#storeCerts.get(name)?.load.origin
        } (HAProxy refuses this)`,
      );
      return;
    }
    const file = (value: string, base: string | undefined) =>
      resolve(
        this.#baseDir(),
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
    if (await this.#kind(stored.path) === "missing") {
      this.#warnings.push(`${where}: certificate ${stored.path} does not exist`);
    }
    if (stored.stapleFile !== undefined && await this.#kind(stored.stapleFile) === "missing") {
      this.#warnings.push(
        `${where}: staple file ${stored.stapleFile} does not exist; HAProxy refuses to start until stapled writes it`,
      );
    }
    if (stored.issuerFile !== undefined && await this.#kind(stored.issuerFile) === "missing") {
      this.#warnings.push(`${where}: issuer file ${stored.issuerFile} does not exist`);
    }
    this.#storeCerts.set(name, stored);
  }
}
