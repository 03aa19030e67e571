/**
 * The {@linkcode HealthBook}'s private records (per certificate, per
 * responder, per histogram) and the small text helpers it formats them with.
 *
 * @module
 */
import type { PushHealth } from "./health_types.ts";

/**
 * What the book keeps per certificate: a few pointers, most of them to
 * strings or arrays shared by many entries, and a slot in the book's
 * {@linkcode TimeTable}. Kept small: 100,000 of them are held for ever.
 */
export interface CertEntry {
  /** The entry's row in the book's {@linkcode TimeTable}. */
  slot: number;
  subject: string;
  /** Frozen ({@linkcode NO_STRINGS} for none). */
  san: readonly string[];
  serial: string;
  /** Frozen, shared by every entry with the same URLs ({@linkcode Interner.urls}). */
  ocspUrls: readonly string[];
  /**
   * The CertID key; with {@linkcode KEY_ENDS_WITH_SERIAL}, only the part
   * before the serial (shared by the issuer's certificates).
   */
  key?: string;
  /** {@linkcode PARSED}, {@linkcode MUST_STAPLE}, {@linkcode KEY_ENDS_WITH_SERIAL}. */
  flags: number;
  /** The staple's status, when one is in place (its times are in the time table). */
  staple?: "good" | "revoked";
  /** What is rarely there: why no staple, the last error, the pushes. */
  more?: CertMore;
}

/** The rarer parts of a {@linkcode CertEntry}. */
export interface CertMore {
  stapleNote?: string;
  error?: { message: string; kind?: string; count: number; firstAt: number; lastAt: number };
  pushes?: { socket: string; result: PushHealth["result"]; at: number; message?: string }[];
}

/** {@linkcode CertEntry.flags}: the file was read and parsed. */
export const PARSED = 1;
/** {@linkcode CertEntry.flags}: the leaf is Must-Staple. */
export const MUST_STAPLE = 2;
/** {@linkcode CertEntry.flags}: the CertID key is `key + serial`. */
export const KEY_ENDS_WITH_SERIAL = 4;

/** The shared empty list. */
export const NO_STRINGS: readonly string[] = Object.freeze([]);

/** {@linkcode TimeTable} columns: the staple's producedAt. */
export const PRODUCED_AT = 0;
/** The staple's thisUpdate. */
export const THIS_UPDATE = 1;
/** The staple's nextUpdate. */
export const NEXT_UPDATE = 2;
/** The staple's effective expiry. */
export const EXPIRES_AT = 3;
/** A revoked staple's revocationTime. */
export const REVOCATION_TIME = 4;
/** The next renewal. */
export const NEXT_RENEWAL = 5;
const COLUMNS = 6;

/**
 * Every certificate's times (epoch ms, NaN for none) in one growing
 * `Float64Array`, a row per slot: 8 bytes a time, where a `Date` or a
 * number in an object field would be a heap object each.
 *
 * @example
 * ```ts
 * import { NEXT_RENEWAL, TimeTable } from "./_health_entries.ts";
 * const times = new TimeTable();
 * const slot = times.allocate();
 * times.set(slot, NEXT_RENEWAL, 1_000);
 * console.assert(times.get(slot, NEXT_RENEWAL) === 1_000);
 * times.release(slot);
 * console.assert(times.get(times.allocate(), NEXT_RENEWAL) === undefined);
 * ```
 */
export class TimeTable {
  #data = new Float64Array(COLUMNS * 64).fill(NaN);
  #used = 0;
  #free: number[] = [];

  /** A slot, every time unset. */
  allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if ((this.#used + 1) * COLUMNS > this.#data.length) {
      const grown = new Float64Array(Math.ceil(this.#data.length * 1.5 / COLUMNS) * COLUMNS);
      grown.fill(NaN, this.#data.length);
      grown.set(this.#data);
      this.#data = grown;
    }
    return this.#used++;
  }

  /** Frees a slot (its times unset) for the next {@linkcode allocate}. */
  release(slot: number): void {
    this.#data.fill(NaN, slot * COLUMNS, (slot + 1) * COLUMNS);
    this.#free.push(slot);
  }

  /** A time, or undefined when unset. */
  get(slot: number, column: number): number | undefined {
    const ms = this.#data[slot * COLUMNS + column];
    return Number.isNaN(ms) ? undefined : ms;
  }

  /** Sets a time (undefined unsets it). */
  set(slot: number, column: number, ms: number | undefined): void {
    this.#data[slot * COLUMNS + column] = ms ?? NaN;
  }
}

/**
 * One frozen copy of each distinct value many certificates share: an
 * issuer's OCSP URLs, the part of its CertID keys before the serial.
 */
export class Interner {
  #lists = new Map<string, readonly string[]>();
  #strings = new Map<string, string>();

  /** The shared frozen copy of a list of strings. */
  urls(list: readonly string[]): readonly string[] {
    if (list.length === 0) return NO_STRINGS;
    const key = JSON.stringify(list);
    let shared = this.#lists.get(key);
    if (!shared) this.#lists.set(key, shared = Object.freeze([...list]));
    return shared;
  }

  /** The shared copy of a string (flat, not a slice of a larger one). */
  string(s: string): string {
    let shared = this.#strings.get(s);
    if (shared === undefined) {
      shared = flat(s);
      this.#strings.set(shared, shared);
    }
    return shared;
  }
}

/**
 * A string's own copy, not a slice or concatenation that keeps larger
 * strings alive.
 *
 * @param s The string.
 * @returns The same characters.
 */
export function flat(s: string): string {
  // A JSON round trip makes a new sequential string.
  return s.length === 0 ? "" : JSON.parse(JSON.stringify(s));
}

/** What the book keeps per responder. */
export interface ResponderEntry {
  lastSuccess?: number;
  failures: number;
  latencies: number[];
  lastError?: string;
}

/** One responder host's fetch durations. */
export interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * @param ms Epoch milliseconds.
 * @returns ISO 8601.
 */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * An error's first line and kind.
 *
 * @param err The error.
 * @returns Its message's first line and its kind, if any.
 */
export function errorText(err: unknown): { message: string; kind?: string } {
  if (err instanceof Error) {
    const kind = (err as { kind?: unknown }).kind;
    return {
      message: err.message.split("\n")[0],
      kind: typeof kind === "string" ? kind : undefined,
    };
  }
  return { message: String(err).split("\n")[0] };
}

/**
 * @param url A responder URL.
 * @returns Its host, or the text when it is no URL.
 */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
