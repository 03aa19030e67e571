/**
 * Work not redone across runs. Per certificate file, two records: what its
 * last full read found (the bundle record: its fingerprint, the issuer whose
 * signature on the leaf verified, the leaf's facts), and what the full
 * validation of its staple found (the staple record, matched by a digest of
 * both files' fingerprints and the certificate's identity). A warm run whose
 * files match reuses the staple without reading the bundle or parsing or
 * verifying anything again; a bundle file unchanged since its leaf's
 * signature verified is not verified again. Any change of either file, of
 * the certificate's CertID or issuer, or of stapled's version or this schema
 * means a full check. {@linkcode FileStateStore} keeps one small JSON
 * document under the state directory, written atomically;
 * {@linkcode MemoryStateStore} is for tests.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { VERSION } from "../config/options.ts";
import { writeStapleAtomic } from "./write.ts";
import { decodeBundleRow, encodeBundleRow, StringTable } from "./_state_rows.ts";
import { StateLines } from "./_state_lines.ts";

const log = getLogger(["stapled", "state"]);

/** Bumped whenever what a record means, or the validation rules, change. */
export const STATE_SCHEMA = 3;

/** The state file's name inside the state directory. */
export const STATE_FILE_NAME = "state.json";

/** What was remembered of a staple that passed every check (good only). */
export interface StateRecord {
  /**
   * What it was verified from: the bundle and staple files' fingerprints
   * (device, inode, size, mtime, ctime) and the certificate's identity.
   */
  check: string;
  /** producedAt, ms since the epoch. */
  producedAt: number;
  /** thisUpdate, ms. */
  thisUpdate: number;
  /** nextUpdate, ms. */
  nextUpdate: number;
  /** The effective expiry, ms. */
  expiresAt: number;
  /** Who signed it. */
  signer: "issuer" | "delegated";
  /** The signer certificate's notAfter, ms. */
  signerNotAfter: number;
}

/** What a full read of a certificate file found (only files whose leaf's signature verified). */
export interface BundleRecord {
  /** The file's fingerprint (device, inode, size, mtime, ctime) before it was read. */
  fingerprint: string;
  /** A digest of the certificate's identity: its CertID, notAfter and issuer. */
  identity: string;
  /** A digest (SHA-256, base64) of the issuer certificate whose signature on the leaf verified. */
  issuer: string;
  /** The issuer was in the file itself (not in an issuer file or directory, not fetched). */
  selfContained: boolean;
  /** The leaf's notAfter, ms. */
  notAfter: number;
  /** The leaf's OCSP URLs. */
  ocspUrls: string[];
  /** The leaf's facts for status and metrics, when the daemon read them. */
  facts?: {
    subject: string;
    san: string[];
    serial: string;
    mustStaple: boolean;
    certIdKey?: string;
  };
}

/** Remembered validations, by certificate file. */
export interface StateStore {
  /**
   * The record of a certificate file.
   *
   * @param certPath The certificate file.
   */
  get(certPath: string): StateRecord | undefined;
  /**
   * Remembers a record (kept in memory until {@linkcode flush}).
   *
   * @param certPath The certificate file.
   * @param record What was verified.
   */
  set(certPath: string, record: StateRecord): void;
  /**
   * Forgets a certificate file's record.
   *
   * @param certPath The certificate file.
   */
  delete(certPath: string): void;
  /**
   * The bundle record of a certificate file.
   *
   * @param certPath The certificate file.
   */
  getBundle(certPath: string): BundleRecord | undefined;
  /**
   * Remembers a bundle record (kept in memory until {@linkcode flush}).
   *
   * @param certPath The certificate file.
   * @param record What its full read found.
   */
  setBundle(certPath: string, record: BundleRecord): void;
  /** Writes what changed; never throws (a failure is logged). */
  flush(): Promise<void>;
}

/**
 * A state store in memory, for tests; counts its reads.
 *
 * @example
 * ```ts
 * import { MemoryStateStore } from "./state.ts";
 * const state = new MemoryStateStore();
 * console.assert(state.get("/etc/ssl/a.pem") === undefined && state.reads === 1);
 * ```
 */
export class MemoryStateStore implements StateStore {
  /** The records. */
  readonly records: Map<string, StateRecord> = new Map();
  /** The bundle records. */
  readonly bundles: Map<string, BundleRecord> = new Map();
  /** How many times {@linkcode get} was called. */
  reads = 0;
  /** How many times {@linkcode flush} was called. */
  flushes = 0;

  /** {@inheritDoc StateStore.get} */
  get(certPath: string): StateRecord | undefined {
    this.reads++;
    return this.records.get(certPath);
  }

  /** {@inheritDoc StateStore.set} */
  set(certPath: string, record: StateRecord): void {
    this.records.set(certPath, record);
  }

  /** {@inheritDoc StateStore.delete} */
  delete(certPath: string): void {
    this.records.delete(certPath);
  }

  /** {@inheritDoc StateStore.getBundle} */
  getBundle(certPath: string): BundleRecord | undefined {
    return this.bundles.get(certPath);
  }

  /** {@inheritDoc StateStore.setBundle} */
  setBundle(certPath: string, record: BundleRecord): void {
    this.bundles.set(certPath, record);
  }

  /** {@inheritDoc StateStore.flush} */
  flush(): Promise<void> {
    this.flushes++;
    return Promise.resolve();
  }
}

/**
 * A record as one line of text: the check digest, thisUpdate, then the other
 * times as differences from it, in base 36 ms, and `i` or `d` for the signer.
 */
type Row = string;

function toRow(r: StateRecord): Row {
  const t = (ms: number) => ms.toString(36);
  const d = (ms: number) => t(ms - r.thisUpdate);
  return [
    r.check,
    t(r.thisUpdate),
    d(r.nextUpdate),
    d(r.expiresAt),
    d(r.producedAt),
    d(r.signerNotAfter),
    r.signer === "delegated" ? "d" : "i",
  ].join(" ");
}

function fromRow(row: unknown): StateRecord | undefined {
  if (typeof row !== "string") return undefined;
  const f = row.split(" ");
  if (f.length !== 7 || f[0].length === 0) return undefined;
  const [check, ...rest] = f;
  const signer = rest.pop();
  const n = rest.map((x) => /^-?[0-9a-z]{1,12}$/.test(x) ? parseInt(x, 36) : NaN);
  if (!n.every((x) => Number.isSafeInteger(x))) return undefined;
  if (signer !== "d" && signer !== "i") return undefined;
  const [thisUpdate, next, expires, produced, signerNotAfter] = n;
  return {
    check,
    thisUpdate,
    nextUpdate: thisUpdate + next,
    expiresAt: thisUpdate + expires,
    producedAt: thisUpdate + produced,
    signer: signer === "d" ? "delegated" : "issuer",
    signerNotAfter: thisUpdate + signerNotAfter,
  };
}

/** Options of {@linkcode FileStateStore.open}. */
export interface FileStateStoreOptions {
  /** Write this long after a change (the daemon); none: only on {@linkcode StateStore.flush}. */
  debounceMs?: number;
}

/**
 * The state file `<dir>/state.json`: a JSON header line
 * (`{"schema":3,"version":"…","strings":[…]}`), then one line per certificate file: its
 * path as a JSON string, a tab, its staple record as one line of text
 * (about 90 bytes), a tab, and its bundle record as a JSON array (a few
 * hundred bytes with the leaf's facts), either record possibly empty.
 * Written atomically. The file's text is kept as read (or last written),
 * its lines found by a hash of their path (`_state_lines.ts`), and decoded
 * when asked for; only rows changed since the last write are kept apart.
 * So opening the file of 100,000 certificates makes no object per line,
 * and each costs about its line's length in memory.
 *
 * @example Remember a record, then read it back from the file
 * ```ts
 * import { FileStateStore } from "./state.ts";
 * const dir = await Deno.makeTempDir();
 * const state = FileStateStore.open(dir)!;
 * state.set("/etc/ssl/a.pem", {
 *   check: "Zm9vYmFyYmF6cXV4", producedAt: 0, thisUpdate: 0,
 *   nextUpdate: 1, expiresAt: 1, signer: "issuer", signerNotAfter: 2,
 * });
 * await state.flush();
 * console.assert(FileStateStore.open(dir)!.get("/etc/ssl/a.pem")?.nextUpdate === 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileStateStore implements StateStore {
  #path: string;
  /** The file as read or last written. */
  #lines: StateLines;
  /** Per certificate file changed since: `<staple row>\t<bundle row JSON>`, or "" for none. */
  #changes = new Map<string, string>();
  #strings: StringTable;
  #dirty = false;
  #debounceMs?: number;
  #timer?: ReturnType<typeof setTimeout>;
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, read: StateRead, debounceMs?: number) {
    this.#path = path;
    this.#lines = read.lines;
    this.#strings = read.strings;
    this.#debounceMs = debounceMs;
  }

  /**
   * Opens the state directory (created if missing) and reads its state file.
   * A file of another schema or version, or unreadable, is ignored.
   *
   * @param dir The state directory.
   * @param options When to write.
   * @returns The store, or undefined (one warning) when the directory is not writable.
   */
  static open(dir: string, options: FileStateStoreOptions = {}): FileStateStore | undefined {
    const base = dir.replace(/\/+$/, "") || "/";
    const path = `${base}/${STATE_FILE_NAME}`;
    try {
      Deno.mkdirSync(base, { recursive: true });
      const probe = `${base}/.${STATE_FILE_NAME}.probe-${Deno.pid}`;
      Deno.writeFileSync(probe, new Uint8Array());
      Deno.removeSync(probe);
    } catch (err) {
      log.warn(
        "cannot use the state directory {dir}: {reason}; every staple is checked in full (make it writable or set state-dir)",
        { dir, reason: (err as Error).message.split("\n")[0] },
      );
      return undefined;
    }
    return new FileStateStore(path, readState(path), options.debounceMs);
  }

  /** {@inheritDoc StateStore.get} */
  get(certPath: string): StateRecord | undefined {
    const row = this.#row(certPath);
    if (!row) return undefined;
    const tab = row.indexOf("\t");
    return fromRow(tab < 0 ? row : row.slice(0, tab));
  }

  /** {@inheritDoc StateStore.set} */
  set(certPath: string, record: StateRecord): void {
    this.#put(certPath, toRow(record), this.#bundlePart(certPath));
  }

  /** {@inheritDoc StateStore.delete} */
  delete(certPath: string): void {
    const row = this.#row(certPath);
    if (!row || row.startsWith("\t")) return;
    this.#put(certPath, "", this.#bundlePart(certPath));
  }

  /** {@inheritDoc StateStore.getBundle} */
  getBundle(certPath: string): BundleRecord | undefined {
    const part = this.#bundlePart(certPath);
    if (!part) return undefined;
    return decodeBundleRow(part, this.#strings);
  }

  /** {@inheritDoc StateStore.setBundle} */
  setBundle(certPath: string, record: BundleRecord): void {
    const row = this.#row(certPath) ?? "";
    const tab = row.indexOf("\t");
    this.#put(certPath, tab < 0 ? row : row.slice(0, tab), encodeBundleRow(record, this.#strings));
  }

  /** {@inheritDoc StateStore.flush} */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#dirty) return this.#writing;
    this.#dirty = false;
    const header = { schema: STATE_SCHEMA, version: VERSION, strings: this.#strings.strings };
    const changed = [...this.#changes].map(([p, row]) => [JSON.stringify(p), row]);
    const head = JSON.stringify(header);
    const lines = [head, ...this.#lines.lines(new Set(changed.map(([q]) => q)))];
    for (const [quoted, row] of changed) if (row) lines.push(`${quoted}\t${row}`);
    const text = lines.join("\n") + "\n";
    this.#lines = new StateLines(text, head.length + 1);
    this.#changes.clear();
    const bytes = new TextEncoder().encode(text);
    this.#writing = this.#writing.then(() =>
      writeStapleAtomic(this.#path, bytes, { mode: 0o600 }).catch((err) => {
        log.warn("cannot write the state file {file}: {reason}", {
          file: this.#path,
          reason: (err as Error).message,
        });
      })
    );
    return this.#writing;
  }

  /** A certificate file's `<staple row>\t<bundle row>`; "" or undefined for none. */
  #row(certPath: string): string | undefined {
    return this.#changes.get(certPath) ?? this.#lines.row(JSON.stringify(certPath));
  }

  #bundlePart(certPath: string): string {
    const row = this.#row(certPath);
    const tab = row === undefined ? -1 : row.indexOf("\t");
    return tab < 0 ? "" : row!.slice(tab + 1);
  }

  #put(certPath: string, staple: string, bundle: string): void {
    this.#changes.set(certPath, !staple && !bundle ? "" : `${staple}\t${bundle}`);
    this.#changed();
  }

  #changed(): void {
    this.#dirty = true;
    if (this.#debounceMs === undefined || this.#timer !== undefined) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#debounceMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}

/** What a state file held: its lines and its string table. */
interface StateRead {
  lines: StateLines;
  strings: StringTable;
}

function readState(path: string): StateRead {
  const none = { lines: new StateLines(), strings: new StringTable() };
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.info("ignoring the state file {file}: {reason}", {
        file: path,
        reason: (err as Error).message,
      });
    }
    return none;
  }
  const newline = text.indexOf("\n");
  const first = newline < 0 ? text : text.slice(0, newline);
  let header: { schema?: unknown; version?: unknown; strings?: unknown } | undefined;
  try {
    header = JSON.parse(first);
  } catch { /* not ours */ }
  if (header?.schema !== STATE_SCHEMA || header.version !== VERSION) {
    log.info("ignoring the state file {file}: written by another stapled version", { file: path });
    return none;
  }
  return {
    lines: new StateLines(newline < 0 ? "" : text, newline + 1),
    strings: new StringTable(Array.isArray(header.strings) ? header.strings : []),
  };
}
