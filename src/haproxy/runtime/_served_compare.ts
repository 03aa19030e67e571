/**
 * Comparing what HAProxy serves with the staples on disk: the CertID key
 * HAProxy files a response under, and one {@linkcode ServedHealth} row per
 * certificate (`same`, `differs` or `missing`).
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert } from "@peculiar/asn1-schema";
import { type CertId, ID_SHA1, toAsnCertId } from "../../ocsp/cert_id.ts";
import type { ServedResponse } from "./_served_parse.ts";

/** What one HAProxy socket serves for one certificate, against the staple on disk. */
export interface ServedHealth {
  /** The socket. */
  socket: string;
  /** The certificate file. */
  path: string;
  /** `same`, `differs` (another response), `missing` (HAProxy serves none for it). */
  state: "same" | "differs" | "missing";
  /** What differs, for `differs` and `missing`. */
  detail?: string;
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
  return sha1CertIdKey(certId) ??
    new Uint8Array(AsnConvert.serialize(toAsnCertId(certId))).toHex();
}

/** DER of AlgorithmIdentifier { sha1, NULL }, as hex. */
const SHA1_WITH_NULL = "300906052b0e03021a0500";

/**
 * The common case without the codec (it runs for every certificate read by
 * the daemon): a SHA-1 CertID with 20-byte hashes and a serial of 1 to 20
 * bytes has short-form lengths only, so its DER is these fields in a row.
 * Anything else is left to the codec.
 */
function sha1CertIdKey(id: CertId): string | undefined {
  const serial = id.serialNumber.length;
  if (
    id.hashAlgorithm !== ID_SHA1 || id.issuerNameHash.length !== 20 ||
    id.issuerKeyHash.length !== 20 || serial < 1 || serial > 20
  ) {
    return undefined;
  }
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  return `30${hex(11 + 22 + 22 + 2 + serial)}${SHA1_WITH_NULL}0414${id.issuerNameHash.toHex()}` +
    `0414${id.issuerKeyHash.toHex()}02${hex(serial)}${id.serialNumber.toHex()}`;
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
