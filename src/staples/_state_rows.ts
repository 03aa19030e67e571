/**
 * The state file's bundle records as compact rows: a JSON array per
 * certificate file, with the values many certificates share (an issuer's
 * digest and CertID hashes, a CA's OCSP URLs) kept once in a table of
 * strings written in the file's header. A SHA-1 CertID key is stored as its
 * issuer hashes (shared) and the serial, and built again when read.
 *
 * @module
 */
import type { BundleRecord } from "./state.ts";

/** Strings stored once per state file, referred to by index. */
export class StringTable {
  /** The strings, by index. */
  readonly strings: string[];
  #index = new Map<string, number>();

  /** @param strings The table as read from a state file. */
  constructor(strings: readonly unknown[] = []) {
    this.strings = strings.filter((s): s is string => typeof s === "string");
    this.strings.forEach((s, i) => this.#index.set(s, i));
  }

  /**
   * The index of a string, added when new.
   *
   * @param s The string.
   * @returns Its index.
   */
  id(s: string): number {
    let i = this.#index.get(s);
    if (i === undefined) {
      i = this.strings.push(s) - 1;
      this.#index.set(s, i);
    }
    return i;
  }
}

/** A SHA-1 CertID key: `30 LL`, AlgorithmIdentifier, two hashes, then the serial INTEGER. */
const SHA1_KEY =
  /^30[0-9a-f]{2}300906052b0e03021a05000414([0-9a-f]{40})0414([0-9a-f]{40})02([0-9a-f]{2})([0-9a-f]+)$/;

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** The serial as stapled prints it: its INTEGER contents without leading zero bytes. */
function serialHexOf(contents: string): string {
  let s = contents;
  while (s.length > 2 && s.startsWith("00")) s = s.slice(2);
  return s;
}

/**
 * A bundle record as one row (JSON text, no raw tab or newline).
 *
 * @param r The record.
 * @param t The file's string table (new strings are added).
 * @returns The row.
 *
 * @example
 * ```ts
 * import { decodeBundleRow, encodeBundleRow, StringTable } from "./_state_rows.ts";
 * const t = new StringTable();
 * const r = {
 *   fingerprint: "1.2.3.4.5", identity: "id", issuer: "digest", selfContained: true,
 *   notAfter: 1, ocspUrls: ["http://ocsp.example.test/"],
 * };
 * console.assert(decodeBundleRow(encodeBundleRow(r, t), t)?.ocspUrls[0] === "http://ocsp.example.test/");
 * ```
 */
export function encodeBundleRow(r: BundleRecord, t: StringTable): string {
  const row: unknown[] = [
    r.fingerprint,
    r.identity,
    t.id(r.issuer),
    r.selfContained ? 1 : 0,
    r.notAfter,
    t.id(JSON.stringify(r.ocspUrls)),
  ];
  const f = r.facts;
  if (f) {
    const key = f.certIdKey?.match(SHA1_KEY);
    const serialLength = key ? parseInt(key[3], 16) : -1;
    if (key && key[4].length === serialLength * 2 && serialHexOf(key[4]) === f.serial) {
      row.push(f.subject, f.san, f.mustStaple ? 1 : 0, t.id(key[1] + key[2]), key[4]);
    } else {
      row.push(f.subject, f.san, f.mustStaple ? 1 : 0, -1, f.serial, f.certIdKey ?? "");
    }
  }
  return JSON.stringify(row);
}

const isString = (x: unknown): x is string => typeof x === "string";

/**
 * A row back as a bundle record, or undefined when it is not one.
 *
 * @param text The row.
 * @param t The file's string table.
 * @returns The record.
 */
export function decodeBundleRow(text: string, t: StringTable): BundleRecord | undefined {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(row) || (row.length !== 6 && row.length !== 11 && row.length !== 12)) {
    return undefined;
  }
  const [fingerprint, identity, issuerAt, flags, notAfter, urlsAt] = row;
  const issuer = t.strings[issuerAt as number];
  const urlsText = t.strings[urlsAt as number];
  if (!isString(fingerprint) || !isString(identity) || !isString(issuer)) return undefined;
  if ((flags !== 0 && flags !== 1) || !Number.isSafeInteger(notAfter) || !isString(urlsText)) {
    return undefined;
  }
  let ocspUrls: unknown;
  try {
    ocspUrls = JSON.parse(urlsText);
  } catch {
    return undefined;
  }
  if (!Array.isArray(ocspUrls) || !ocspUrls.every(isString)) return undefined;
  const record: BundleRecord = {
    fingerprint,
    identity,
    issuer,
    selfContained: flags === 1,
    notAfter,
    ocspUrls,
  };
  if (row.length === 6) return record;
  const [subject, san, mustStaple, hashesAt, serialOrContents, rawKey] = row.slice(6);
  if (!isString(subject) || !Array.isArray(san) || !san.every(isString)) return undefined;
  if ((mustStaple !== 0 && mustStaple !== 1) || !isString(serialOrContents)) return undefined;
  let serial: string;
  let certIdKey: string | undefined;
  if (hashesAt === -1) {
    if (!isString(rawKey)) return undefined;
    serial = serialOrContents;
    certIdKey = rawKey || undefined;
  } else {
    const hashes = t.strings[hashesAt as number];
    if (!isString(hashes) || hashes.length !== 80 || !/^[0-9a-f]+$/.test(serialOrContents)) {
      return undefined;
    }
    const n = serialOrContents.length / 2;
    serial = serialHexOf(serialOrContents);
    certIdKey = `30${hex2(57 + n)}300906052b0e03021a05000414${hashes.slice(0, 40)}0414${
      hashes.slice(40)
    }02${hex2(n)}${serialOrContents}`;
  }
  record.facts = {
    subject,
    san,
    serial,
    mustStaple: mustStaple === 1,
    ...(certIdKey ? { certIdKey } : {}),
  };
  return record;
}
