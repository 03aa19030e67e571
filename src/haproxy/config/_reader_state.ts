/**
 * The state the directive reader keeps while it walks one HAProxy
 * configuration, as HAProxy keeps it while parsing: the global settings in
 * effect so far, the `crt-store` section being read and its certificates,
 * and what has been gathered (certificates, stats sockets, crt-lists,
 * warnings). The global, bind-line and crt-store handlers share it.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { type ConfigIo, ioReason } from "./_io.ts";
import type {
  HaproxyCertEntry,
  HaproxyCrtStoreLoad,
  HaproxyExtraFiles,
  HaproxySocketAddress,
} from "./types.ts";

/** The `crt-store` section being read. */
export interface StoreSection {
  name: string;
  /** The section's `crt-base`: the global one until the section sets its own. */
  crtBase: string | undefined;
  keyBase: string | undefined;
  /** A `load` line was read (then `crt-base` / `key-base` are refused). */
  loaded: boolean;
}

/** A certificate a `load` line put in HAProxy's certificate store. */
export interface StoreCert {
  /** HAProxy's name for it (`@web/k1.pem`). */
  name: string;
  path: string;
  load: HaproxyCrtStoreLoad;
  stapleFile?: string;
  issuerFile?: string;
}

/** What the reader has read and gathered so far. */
export class ReaderState {
  io: ConfigIo;
  certs: HaproxyCertEntry[] = [];
  certKeys = new Set<string>();
  sockets: HaproxySocketAddress[] = [];
  socketKeys = new Set<string>();
  crtListFiles: string[] = [];
  warnings: string[] = [];
  crtBase: string | undefined;
  keyBase: string | undefined;
  store: StoreSection | undefined;
  storeCerts = new Map<string, StoreCert>();
  ocspUpdateMode: { on: boolean; origin: string } | undefined;
  ocspUpdateDisabled: string | undefined;
  issuersChainPath: string | undefined;
  delExt = false;
  extraFiles: HaproxyExtraFiles = { ocsp: true, issuer: true };
  bundles = true;
  unixPrefix = "";
  defaultPath: { mode: string; origin: string } = { mode: "current", origin: "" };
  file = "";
  section = "";
  sectionLabel = "";

  /**
   * @param io I/O and environment.
   */
  constructor(io: ConfigIo) {
    this.io = io;
  }

  /**
   * The directory relative paths are resolved against (see `readHaproxyConfig()`).
   *
   * @returns The directory.
   */
  baseDir(): string {
    const configDir = dirname(this.file);
    switch (this.defaultPath.mode) {
      case "parent":
        return resolve(configDir, "..");
      case "origin":
        return resolve(configDir, this.defaultPath.origin);
      default:
        return configDir;
    }
  }

  /**
   * Whether a path is a file, a directory or missing; a path that cannot be
   * stat'ed counts as a file, with a warning.
   *
   * @param path The path.
   * @returns Its kind.
   */
  async kind(path: string): Promise<"file" | "dir" | "missing"> {
    try {
      const info = await this.io.stat(path);
      return info.isDirectory ? "dir" : "file";
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return "missing";
      this.warnings.push(`${path}: cannot stat certificate: ${ioReason(err)}`);
      return "file";
    }
  }
}
