/**
 * Work not redone across runs: per certificate, the fingerprints (device,
 * inode, size, mtime) of the bundle file and of the staple file it last
 * verified, and what the full validation of that staple found. A warm run
 * whose files match a remembered good result reuses the staple without
 * parsing or verifying it again; any change of either file, of the
 * certificate's CertID or issuer, or of stapled's version or this schema
 * means a full check. {@linkcode FileStateStore} keeps one small JSON
 * document under the state directory, written atomically;
 * {@linkcode MemoryStateStore} is for tests.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { VERSION } from "../config/options.ts";
import { writeStapleAtomic } from "./write.ts";

const log = getLogger(["stapled", "state"]);

/** Bumped whenever what a record means, or the validation rules, change. */
export const STATE_SCHEMA = 1;

/** The state file's name inside the state directory. */
export const STATE_FILE_NAME = "state.json";

/** What was remembered of a staple that passed every check (good only). */
export interface StateRecord {
  /**
   * A digest of what it was verified from: the bundle and staple files'
   * fingerprints (device, inode, size, mtime) and the certificate's identity.
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
 * The state file `<dir>/state.json`: `{"schema":1,"version":"…","certs":{path:"…"}}`,
 * one line of text per certificate (about 50 bytes plus its path), written
 * atomically.
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
  #records: Map<string, StateRecord>;
  #dirty = false;
  #debounceMs?: number;
  #timer?: ReturnType<typeof setTimeout>;
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, records: Map<string, StateRecord>, debounceMs?: number) {
    this.#path = path;
    this.#records = records;
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
    return this.#records.get(certPath);
  }

  /** {@inheritDoc StateStore.set} */
  set(certPath: string, record: StateRecord): void {
    this.#records.set(certPath, record);
    this.#changed();
  }

  /** {@inheritDoc StateStore.delete} */
  delete(certPath: string): void {
    if (this.#records.delete(certPath)) this.#changed();
  }

  /** {@inheritDoc StateStore.flush} */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#dirty) return this.#writing;
    this.#dirty = false;
    const certs: Record<string, Row> = {};
    for (const [p, r] of this.#records) certs[p] = toRow(r);
    const text = JSON.stringify({ schema: STATE_SCHEMA, version: VERSION, certs });
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

function readState(path: string): Map<string, StateRecord> {
  const records = new Map<string, StateRecord>();
  let doc: unknown;
  try {
    doc = JSON.parse(Deno.readTextFileSync(path));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.info("ignoring the state file {file}: {reason}", {
        file: path,
        reason: (err as Error).message,
      });
    }
    return records;
  }
  const d = doc as { schema?: unknown; version?: unknown; certs?: unknown };
  if (d?.schema !== STATE_SCHEMA || d.version !== VERSION || typeof d.certs !== "object") {
    log.info("ignoring the state file {file}: written by another stapled version", { file: path });
    return records;
  }
  for (const [p, row] of Object.entries(d.certs as Record<string, unknown>)) {
    const r = fromRow(row);
    if (r) records.set(p, r);
  }
  return records;
}
