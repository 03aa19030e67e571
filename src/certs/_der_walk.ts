/**
 * A bounded walk over DER elements: where an element's contents are and
 * where it ends, for the few fields read without a full ASN.1 parse (a
 * leaf's TBSCertificate top level, the TLS feature extension, the top level
 * of a BasicOCSPResponse whose certificates were seen strict). Single-byte
 * tags and definite lengths of at most 4 bytes only; anything else throws,
 * and callers fall back to the full parse or treat the input as unreadable.
 *
 * @module
 */

/** One DER element: tag, where it starts, where its contents are, where it ends. */
export interface Tlv {
  /** The tag byte. */
  tag: number;
  /** Where the element (its tag) starts. */
  start: number;
  /** Where its contents start. */
  contents: number;
  /** Where it ends (one past its last byte). */
  end: number;
}

/**
 * Reads the element at `at`, ending no later than `limit`.
 *
 * @param der The bytes.
 * @param at Where the element starts.
 * @param limit Where its parent ends.
 * @returns The element.
 * @throws {RangeError} Truncated, a multi-byte tag, a bad length, or an element overrunning its parent.
 *
 * @example
 * ```ts
 * import { tlv } from "./_der_walk.ts";
 * const el = tlv(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]), 0, 5);
 * console.assert(el.tag === 0x30 && el.contents === 2 && el.end === 5);
 * ```
 */
export function tlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new RangeError("Cannot read DER: truncated element");
  const tag = der[at];
  if ((tag & 0x1f) === 0x1f) throw new RangeError("Cannot read DER: multi-byte tag");
  let len = der[at + 1];
  let contents = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || contents + n > limit) {
      throw new RangeError("Cannot read DER: bad length");
    }
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[contents + i];
    contents += n;
  }
  const end = contents + len;
  if (end > limit) throw new RangeError("Cannot read DER: element overruns its parent");
  return { tag, start: at, contents, end };
}

/**
 * The elements directly inside `parent`.
 *
 * @param der The bytes.
 * @param parent A constructed element.
 * @returns Its children, in order.
 *
 * @example
 * ```ts
 * import { children, tlv } from "./_der_walk.ts";
 * const der = new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07]);
 * console.assert(children(der, tlv(der, 0, der.length)).length === 2);
 * ```
 */
export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contents; at < parent.end;) {
    const el = tlv(der, at, parent.end);
    out.push(el);
    at = el.end;
  }
  return out;
}
