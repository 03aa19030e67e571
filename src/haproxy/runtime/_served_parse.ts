/**
 * Parsing what HAProxy prints for `show ssl ocsp-response` (HAProxy 2.2+):
 * the list of CertIDs it holds OCSP responses for, and one response as
 * OpenSSL's text.
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
