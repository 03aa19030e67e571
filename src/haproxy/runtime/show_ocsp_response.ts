/**
 * What HAProxy really serves: `show ssl ocsp-response` (HAProxy 2.2+) lists
 * the CertIDs it holds OCSP responses for, and `show ssl ocsp-response
 * <key>` prints one response as OpenSSL's text; this module parses both and
 * compares them with the staples on disk, so `stapled status --haproxy` can
 * flag every certificate whose served response differs or is missing.
 *
 * The list, HAProxy 2.6 (3.0 adds a `Certificate path : <file>` line after
 * each key):
 *
 * ```
 * # Certificate IDs
 * Certificate ID key : 3041300906052b0e03021a05000414433338f9...0208100014aa094b7170
 *  Certificate ID:
 *    Issuer Name Hash: 433338F94535082C92F4564CBF5C4E2B7868564D
 *    Issuer Key Hash: E6DC25426D69907F3B1E5A149052D926CE7FB5C1
 *    Serial Number: 100014AA094B7170
 * ```
 *
 * One response (an empty line when the certificate's `.ocsp` was empty;
 * `Certificate ID does not match any certificate.` for an unknown key):
 *
 * ```
 * OCSP Response Data:
 *     OCSP Response Status: successful (0x0)
 *     Response Type: Basic OCSP Response
 *     Version: 1 (0x0)
 *     Responder Id: E6DC25426D69907F3B1E5A149052D926CE7FB5C1
 *     Produced At: Dec  1 18:15:27 2026 GMT
 *     Responses:
 *     Certificate ID:
 *       Hash Algorithm: sha1
 *       Issuer Name Hash: 433338F94535082C92F4564CBF5C4E2B7868564D
 *       Issuer Key Hash: E6DC25426D69907F3B1E5A149052D926CE7FB5C1
 *       Serial Number: 100014AA094B7170
 *     Cert Status: good
 *     This Update: Dec  1 17:15:27 2026 GMT
 *     Next Update: Dec  4 18:15:27 2026 GMT
 * ```
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert } from "@peculiar/asn1-schema";
import type { ServedHealth } from "../../daemon/health.ts";
import { SocketError } from "../../errors/mod.ts";
import { type CertId, toAsnCertId } from "../../ocsp/cert_id.ts";
import { type Clock, systemClock } from "../../scheduler/clock.ts";
import { formatSocketAddress, type HaproxySocketAddress } from "../address.ts";

/** How long one `show ssl ocsp-response` exchange may take, ms. */
const SHOW_TIMEOUT_MS = 5_000;

/** One CertID HAProxy holds a response slot for. */
export interface ServedCertId {
  /** HAProxy's key: the hex of the DER CertID. */
  key: string;
  /** The certificate file (HAProxy 3.0+ prints it). */
  path?: string;
  /** Issuer name hash, upper-case hex as printed. */
  issuerNameHash: string;
  /** Issuer key hash, upper-case hex as printed. */
  issuerKeyHash: string;
  /** Serial, upper-case hex as printed. */
  serial: string;
}

/** What HAProxy serves for one CertID. */
export type ServedResponse =
  | { state: "none" }
  | { state: "unknown-id"; message: string }
  | {
    state: "response";
    /** The certificate status in the response. */
    status: "good" | "revoked" | "unknown";
    /** producedAt. */
    producedAt?: Date;
    /** thisUpdate. */
    thisUpdate?: Date;
    /** nextUpdate. */
    nextUpdate?: Date;
    /** The serial in the response, upper-case hex. */
    serial?: string;
  };

const KEY_REGEXP = /^Certificate ID key : ([0-9a-fA-F]+)\s*$/;
const PATH_REGEXP = /^Certificate path : (.*)$/;
const FIELD_REGEXP = /^\s*([A-Za-z ]+): (.*?)\s*$/;
const OPENSSL_TIME_REGEXP = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4}) GMT$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Parses OpenSSL's `ASN1_TIME_print` form, `Dec  1 17:15:27 2026 GMT`.
 *
 * @param text The time.
 * @returns The date, or undefined when it is not in that form.
 *
 * @example
 * ```ts
 * import { parseOpensslTime } from "./show_ocsp_response.ts";
 * console.assert(parseOpensslTime("Dec  1 17:15:27 2026 GMT")?.toISOString() === "2026-12-01T17:15:27.000Z");
 * ```
 */
export function parseOpensslTime(text: string): Date | undefined {
  const m = OPENSSL_TIME_REGEXP.exec(text.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]);
  if (month < 0) return undefined;
  return new Date(
    Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])),
  );
}

/**
 * Parses the output of `show ssl ocsp-response` without an argument.
 *
 * @param text HAProxy's reply.
 * @returns Every CertID listed, in order.
 * @throws {RangeError} When the reply is not such a list (an error message, another command's output).
 *
 * @example
 * ```ts
 * import { parseOcspResponseList } from "./show_ocsp_response.ts";
 * const list = parseOcspResponseList([
 *   "# Certificate IDs",
 *   "Certificate ID key : 30410201",
 *   "Certificate path : /etc/ssl/a.pem",
 *   " Certificate ID:",
 *   "   Issuer Name Hash: AA",
 *   "   Issuer Key Hash: BB",
 *   "   Serial Number: 01",
 *   "",
 * ].join("\n"));
 * console.assert(list[0].key === "30410201" && list[0].path === "/etc/ssl/a.pem" && list[0].serial === "01");
 * ```
 */
export function parseOcspResponseList(text: string): ServedCertId[] {
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first >= 0 && lines[first].trim() !== "# Certificate IDs") {
    throw new RangeError(
      `Cannot read 'show ssl ocsp-response': unexpected reply ${
        JSON.stringify(lines[first].slice(0, 200))
      }`,
    );
  }
  const out: ServedCertId[] = [];
  let cur: ServedCertId | undefined;
  for (const line of lines.slice(first + 1)) {
    const key = KEY_REGEXP.exec(line);
    if (key) {
      cur = { key: key[1].toLowerCase(), issuerNameHash: "", issuerKeyHash: "", serial: "" };
      out.push(cur);
      continue;
    }
    if (!cur || line.trim() === "") continue;
    const path = PATH_REGEXP.exec(line);
    if (path) {
      cur.path = path[1];
      continue;
    }
    const field = FIELD_REGEXP.exec(line);
    if (!field) continue;
    switch (field[1].trim()) {
      case "Issuer Name Hash":
        cur.issuerNameHash = field[2];
        break;
      case "Issuer Key Hash":
        cur.issuerKeyHash = field[2];
        break;
      case "Serial Number":
        cur.serial = field[2];
        break;
    }
  }
  return out;
}

/**
 * Parses the output of `show ssl ocsp-response <key>`.
 *
 * @param text HAProxy's reply.
 * @returns `none` (HAProxy holds no response for it), `unknown-id`, or the response's fields.
 * @throws {RangeError} When the reply is neither.
 *
 * @example
 * ```ts
 * import { parseOcspResponse } from "./show_ocsp_response.ts";
 * console.assert(parseOcspResponse("\n").state === "none");
 * const r = parseOcspResponse("OCSP Response Data:\n    Cert Status: revoked\n    This Update: Dec  1 17:15:27 2026 GMT\n");
 * console.assert(r.state === "response" && r.status === "revoked");
 * ```
 */
export function parseOcspResponse(text: string): ServedResponse {
  const trimmed = text.trim();
  if (trimmed === "") return { state: "none" };
  if (/does not match any certificate/.test(trimmed)) {
    return { state: "unknown-id", message: trimmed.split("\n")[0] };
  }
  if (!trimmed.startsWith("OCSP Response Data:")) {
    throw new RangeError(
      `Cannot read 'show ssl ocsp-response <id>': unexpected reply ${
        JSON.stringify(trimmed.slice(0, 200))
      }`,
    );
  }
  const r: Extract<ServedResponse, { state: "response" }> = {
    state: "response",
    status: "unknown",
  };
  for (const line of trimmed.split("\n")) {
    const field = FIELD_REGEXP.exec(line);
    if (!field) continue;
    switch (field[1].trim()) {
      case "Cert Status": {
        const s = field[2].split(" ")[0];
        if (s === "good" || s === "revoked") r.status = s;
        break;
      }
      case "Produced At":
        r.producedAt = parseOpensslTime(field[2]);
        break;
      case "This Update":
        r.thisUpdate = parseOpensslTime(field[2]);
        break;
      case "Next Update":
        r.nextUpdate = parseOpensslTime(field[2]);
        break;
      case "Serial Number":
        r.serial = field[2];
        break;
    }
  }
  return r;
}

/**
 * HAProxy's key for a CertID: the lower-case hex of its DER, with NULL hash
 * parameters as OpenSSL encodes it.
 *
 * @param certId The CertID (SHA-1).
 * @returns The key `show ssl ocsp-response` prints and takes.
 *
 * @example
 * ```ts
 * import { certIdKey } from "./show_ocsp_response.ts";
 * import { ID_SHA1 } from "../../ocsp/cert_id.ts";
 * const key = certIdKey({
 *   hashAlgorithm: ID_SHA1,
 *   issuerNameHash: new Uint8Array(20),
 *   issuerKeyHash: new Uint8Array(20),
 *   serialNumber: new Uint8Array([1]),
 * });
 * console.assert(key.startsWith("3039300906052b0e03021a0500"));
 * ```
 */
export function certIdKey(certId: CertId): string {
  return new Uint8Array(AsnConvert.serialize(toAsnCertId(certId))).toHex();
}

/** A certificate's staple on disk, to compare with what HAProxy serves. */
export interface ExpectedStaple {
  /** The certificate file. */
  path: string;
  /** Its CertID key ({@linkcode certIdKey}). */
  key: string;
  /** The valid staple on disk, or undefined for none. */
  onDisk?: { status: "good" | "revoked"; producedAt: Date; thisUpdate: Date; nextUpdate: Date };
}

function secondsEqual(a: Date | undefined, b: Date): boolean {
  return a !== undefined && Math.floor(a.getTime() / 1000) === Math.floor(b.getTime() / 1000);
}

/**
 * Compares what a HAProxy socket serves with the staples on disk: a
 * certificate is `missing` when HAProxy holds no response for its CertID
 * (or does not know the CertID), `differs` when the served response is not
 * the one on disk (another status, producedAt, thisUpdate or nextUpdate, to
 * the second: what OpenSSL's text shows), or `same`.
 *
 * @param socket The socket's name, for the result.
 * @param expected The staples on disk.
 * @param served What HAProxy serves, by CertID key.
 * @returns One entry per expected certificate.
 *
 * @example A certificate HAProxy serves nothing for
 * ```ts
 * import { compareServed } from "./show_ocsp_response.ts";
 * const at = new Date("2026-01-01T00:00:00Z");
 * const onDisk = { status: "good" as const, producedAt: at, thisUpdate: at, nextUpdate: at };
 * const [row] = compareServed("/run/h.sock", [{ path: "a.pem", key: "30", onDisk }], new Map([["30", { state: "none" as const }]]));
 * console.assert(row.state === "missing");
 * ```
 */
export function compareServed(
  socket: string,
  expected: Iterable<ExpectedStaple>,
  served: ReadonlyMap<string, ServedResponse>,
): ServedHealth[] {
  const out: ServedHealth[] = [];
  for (const e of expected) {
    const s = served.get(e.key);
    const row = (state: ServedHealth["state"], detail?: string): ServedHealth => ({
      socket,
      path: e.path,
      state,
      ...(detail ? { detail } : {}),
    });
    if (!s || s.state === "unknown-id") {
      out.push(
        row(
          "missing",
          "HAProxy does not know this certificate's CertID (not loaded, or another certificate)",
        ),
      );
    } else if (s.state === "none") {
      out.push(
        row(
          "missing",
          e.onDisk
            ? "HAProxy holds no response although a valid staple is on disk"
            : "no staple on disk nor served",
        ),
      );
    } else if (!e.onDisk) {
      out.push(
        row("differs", `HAProxy serves a ${s.status} response but no valid staple is on disk`),
      );
    } else {
      const diffs: string[] = [];
      if (s.status !== e.onDisk.status) {
        diffs.push(`status ${s.status}, on disk ${e.onDisk.status}`);
      }
      if (!secondsEqual(s.producedAt, e.onDisk.producedAt)) {
        diffs.push(
          `producedAt ${
            s.producedAt?.toISOString() ?? "?"
          }, on disk ${e.onDisk.producedAt.toISOString()}`,
        );
      }
      if (!secondsEqual(s.thisUpdate, e.onDisk.thisUpdate)) {
        diffs.push(
          `thisUpdate ${
            s.thisUpdate?.toISOString() ?? "?"
          }, on disk ${e.onDisk.thisUpdate.toISOString()}`,
        );
      }
      if (!secondsEqual(s.nextUpdate, e.onDisk.nextUpdate)) {
        diffs.push(
          `nextUpdate ${
            s.nextUpdate?.toISOString() ?? "?"
          }, on disk ${e.onDisk.nextUpdate.toISOString()}`,
        );
      }
      out.push(diffs.length ? row("differs", `served ${diffs.join("; ")}`) : row("same"));
    }
  }
  return out;
}

/** Options of {@linkcode showOcspResponses}. */
export interface ShowOcspResponsesOptions {
  /** Per command, connect to end. @default 5000 */
  timeoutMs?: number;
  /** The clock the timeout runs on. @default systemClock */
  clock?: Clock;
}

async function command(
  address: HaproxySocketAddress,
  line: string,
  timeoutMs: number,
  clock: Clock,
): Promise<string> {
  const name = formatSocketAddress(address);
  let conn: Deno.Conn;
  try {
    conn = address.transport === "unix"
      ? await Deno.connect({ transport: "unix", path: address.path })
      : await Deno.connect({ hostname: address.hostname, port: address.port });
  } catch (err) {
    throw new SocketError(name, `cannot connect to HAProxy: ${(err as Error).message}`);
  }
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* closed */ }
  }, timeoutMs);
  try {
    await conn.write(new TextEncoder().encode(`${line}\n`));
    let out = "";
    const decoder = new TextDecoder();
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    return out + decoder.decode();
  } catch (err) {
    if (timedOut) {
      throw new SocketError(name, `HAProxy did not answer '${line}' within ${timeoutMs} ms`);
    }
    throw new SocketError(name, `'${line}' failed: ${(err as Error).message}`);
  } finally {
    clock.clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/**
 * Asks a HAProxy socket what it serves: the CertID list, then each
 * response, one command per connection (HAProxy's non-interactive mode, so
 * the daemon's persistent connections are not disturbed).
 *
 * @param address The stats socket (level admin or operator).
 * @param options Timeout and clock.
 * @returns The served response by CertID key, with the certificate path when HAProxy gives it.
 * @throws {SocketError} When the socket cannot be reached, does not answer in time, or the reply is not understood.
 *
 * @example
 * ```ts ignore
 * import { showOcspResponses } from "./show_ocsp_response.ts";
 * const served = await showOcspResponses({ transport: "unix", path: "/run/haproxy/admin.sock" });
 * for (const [key, r] of served) console.log(key, r.state);
 * ```
 */
export async function showOcspResponses(
  address: HaproxySocketAddress,
  options: ShowOcspResponsesOptions = {},
): Promise<Map<string, ServedResponse & { path?: string }>> {
  const { timeoutMs = SHOW_TIMEOUT_MS, clock = systemClock } = options;
  const name = formatSocketAddress(address);
  let list: ServedCertId[];
  try {
    list = parseOcspResponseList(
      await command(address, "show ssl ocsp-response", timeoutMs, clock),
    );
  } catch (err) {
    if (err instanceof SocketError) throw err;
    throw new SocketError(name, (err as Error).message);
  }
  const out = new Map<string, ServedResponse & { path?: string }>();
  for (const id of list) {
    let r: ServedResponse;
    try {
      r = parseOcspResponse(
        await command(address, `show ssl ocsp-response ${id.key}`, timeoutMs, clock),
      );
    } catch (err) {
      if (err instanceof SocketError) throw err;
      throw new SocketError(name, (err as Error).message);
    }
    out.set(id.key, { ...r, ...(id.path ? { path: id.path } : {}) });
  }
  return out;
}
