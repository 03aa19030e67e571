/**
 * Strict DER for signature values and parameters, read as OpenSSL reads
 * them: a value must re-encode to the same bytes, and an ECDSA-Sig-Value
 * must be the DER SEQUENCE of two minimal positive INTEGERs no longer than
 * the curve, converted here to the raw r||s form WebCrypto verifies.
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
import { ECDSASigValue } from "@peculiar/asn1-ecc";

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

/**
 * Converts a DER ECDSA-Sig-Value into the fixed-size r||s form WebCrypto
 * wants, refusing every encoding OpenSSL refuses: it re-encodes the value
 * and compares (so BER, long-form lengths and trailing bytes fail), and r
 * and s must be minimal positive INTEGERs no longer than the curve.
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
  const value = parseDer(der, ECDSASigValue);
  if (!value) {
    throw new MalformedSignatureError(
      "not a DER ECDSA-Sig-Value (BER, long-form lengths or trailing bytes)",
    );
  }
  const out = new Uint8Array(size * 2);
  const r = ecdsaInteger("r", new Uint8Array(value.r), size);
  const s = ecdsaInteger("s", new Uint8Array(value.s), size);
  out.set(r, size - r.length);
  out.set(s, 2 * size - s.length);
  return out;
}
