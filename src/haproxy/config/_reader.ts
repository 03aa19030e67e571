/**
 * The directive reader: walks the tokenized lines of one HAProxy
 * configuration (one or several files read as one), keeps the global state
 * HAProxy keeps while parsing (`crt-base`, `ssl-load-extra-*`, `unix-bind`,
 * `default-path`), and collects certificates and stats sockets.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { CONDITIONAL_DIRECTIVES, ConditionStack } from "./_conditional.ts";
import { type ConfigIo, ioReason } from "./_io.ts";
import { BIND_SECTIONS, bindOptions, CERT_KEYWORDS, SECTION_KEYWORDS } from "./_keywords.ts";
import { evaluateHaproxyCondition } from "./evaluate_condition.ts";
import { parseCrtList } from "./parse_crt_list.ts";
import { readSocketAddress } from "../address.ts";
import { tokenizeHaproxyLine } from "./tokenize_line.ts";
import type {
  HaproxyCertEntry,
  HaproxyConfigResult,
  HaproxyExtraFiles,
  HaproxySocketAddress,
} from "./types.ts";

const EXTRA_FILES = ["bundle", "sctl", "ocsp", "issuer", "key"];
/** HAProxy's SSL_SOCK_KEYTYPE_NAMES, tried when a `crt` file is missing. */
const BUNDLE_EXTENSIONS = ["dsa", "ecdsa", "rsa"];
const DEFAULT_PATH_MODES = new Set(["current", "config", "parent", "origin"]);

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
    return {
      configFiles,
      crtListFiles: [...this.#crtListFiles],
      certs: [...this.#certs],
      sockets: [...this.#sockets],
      warnings: [...this.#warnings],
    };
  }

  async #directive(words: string[], where: string): Promise<void> {
    const [keyword] = words;
    if (SECTION_KEYWORDS.has(keyword)) {
      this.#section = keyword;
      this.#sectionLabel = words[1] ?? keyword;
    } else if (keyword === ".alert") {
      this.#warnings.push(`${where}: '.alert ${words.slice(1).join(" ")}': HAProxy stops here`);
    } else if (this.#section === "global") {
      this.#globalDirective(words, where);
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
    for (const entry of entries) await this.#cert(entry.path, `${file}:${entry.line}`, true);
  }

  async #cert(name: string, origin: string, inCrtList: boolean): Promise<void> {
    const haproxyPath = name.startsWith("/") || this.#crtBase === undefined
      ? name
      : `${this.#crtBase}/${name}`;
    const path = resolve(this.#baseDir(), haproxyPath);
    const kind = await this.#kind(path);
    if (kind === "dir" && inCrtList) {
      this.#warnings.push(`${origin}: ${path} is a directory; HAProxy accepts only files here`);
    }
    if (kind !== "missing") {
      this.#addCert(path, haproxyPath, kind, origin);
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

  #addCert(path: string, haproxyPath: string, kind: "file" | "dir", origin: string): void {
    const key = `${kind}:${path}`;
    if (this.#certKeys.has(key)) return;
    this.#certKeys.add(key);
    const stapleNaming = this.#delExt ? "replace-ext" : "append";
    const extraFiles = { ...this.#extraFiles };
    this.#certs.push({ path, haproxyPath, kind, origin, stapleNaming, extraFiles });
  }
}
