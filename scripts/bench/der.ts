/**
 * Just enough DER to splice benchmark fixtures together: a TLV builder and
 * a byte-pattern search. The fixtures are made from a template signed by
 * the real generators, patched and re-signed, so 10,000 certificates take
 * seconds instead of a minute.
 *
 * @module
 */

/**
 * Encodes one DER element.
 *
 * @param tag The identifier octet (e.g. 0x30 for SEQUENCE).
 * @param parts The contents, concatenated.
 * @returns Tag, definite length and contents.
 */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const lengthBytes: number[] = [];
  if (length < 0x80) lengthBytes.push(length);
  else {
    for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n & 0xff);
    lengthBytes.unshift(0x80 | lengthBytes.length);
  }
  const out = new Uint8Array(1 + lengthBytes.length + length);
  out[0] = tag;
  out.set(lengthBytes, 1);
  let at = 1 + lengthBytes.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Finds the only occurrence of `pattern` in `bytes`.
 *
 * @param bytes Where to look.
 * @param pattern What to find.
 * @returns Its offset.
 * @throws {Error} When it occurs zero or several times.
 */
export function findOnly(bytes: Uint8Array, pattern: Uint8Array): number {
  const hits: number[] = [];
  outer: for (let i = 0; i + pattern.length <= bytes.length; i++) {
    for (let j = 0; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer;
    hits.push(i);
  }
  if (hits.length !== 1) {
    throw new Error(`Cannot patch template: pattern found ${hits.length} times, not once`);
  }
  return hits[0];
}
