/**
 * One DER TLV: a one-byte tag, the definite length in the fewest bytes
 * (X.690 §10.1: short form below 128, else 0x80 | n and n big-endian
 * bytes, no leading zero), the contents. For the fixed structures stapled
 * writes or compares whole (an OCSP request, a response's outer SEQUENCE);
 * everything else goes through @peculiar.
 *
 * @module
 */

/**
 * Encodes `tag`, the DER length of `content`, and `content`.
 *
 * @param tag The identifier octet (0x30 SEQUENCE, 0x04 OCTET STRING, 0x02 INTEGER…).
 * @param content The contents.
 * @returns The TLV.
 *
 * @example
 * ```ts
 * import { tlv } from "./_der_tlv.ts";
 * console.assert(tlv(0x04, new Uint8Array(3)).join() === "4,3,0,0,0");
 * console.assert(tlv(0x30, new Uint8Array(200)).subarray(0, 3).join() === "48,129,200");
 * console.assert(tlv(0x30, new Uint8Array(300)).subarray(0, 4).join() === "48,130,1,44");
 * ```
 */
export function tlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = content.length;
  let lengthBytes = 0;
  if (n >= 0x80) { for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) lengthBytes++; }
  const head = 2 + lengthBytes;
  const out = new Uint8Array(head + n);
  out[0] = tag;
  if (lengthBytes === 0) {
    out[1] = n;
  } else {
    out[1] = 0x80 | lengthBytes;
    for (let i = 0, rest = n; i < lengthBytes; i++, rest = Math.floor(rest / 256)) {
      out[head - 1 - i] = rest % 256;
    }
  }
  out.set(content, head);
  return out;
}

/**
 * Joins byte arrays.
 *
 * @param parts The arrays, in order.
 * @returns Their concatenation.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./_der_tlv.ts";
 * console.assert(concatBytes(new Uint8Array([1]), new Uint8Array([2, 3])).join() === "1,2,3");
 * ```
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
