/**
 * Splits PEM text into its labelled blocks (certificates, keys, parameters),
 * and tells PEM from DER input.
 *
 * @module
 */

/** One `-----BEGIN X-----` ... `-----END X-----` block. */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE` or `PRIVATE KEY`. */
  label: string;
  /** The decoded bytes, or undefined when the base64 is corrupt. */
  der?: Uint8Array;
  /** 1-based line of the BEGIN marker, for messages. */
  line: number;
}

const BLOCK_REGEXP = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_REGEXP = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes base64 text strictly (whitespace allowed between characters), with
 * the built-in `Uint8Array.fromBase64`.
 *
 * @param text The base64 text.
 * @returns The bytes, or undefined when the text is not valid base64
 *   (characters outside the alphabet, missing padding, `=` inside).
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "./pem.ts";
 * console.log(decodeBase64("AQL/\n")); // Uint8Array(3) [ 1, 2, 255 ]
 * console.log(decodeBase64("AQL")); // undefined
 * ```
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, "");
  if (!BASE64_REGEXP.test(compact) || compact.length % 4 !== 0) return undefined;
  try {
    return Uint8Array.fromBase64(compact);
  } catch {
    return undefined;
  }
}

/**
 * Encodes bytes as base64 (the built-in `Uint8Array.prototype.toBase64`).
 *
 * @param bytes The bytes.
 * @returns Base64 text without line breaks.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "./pem.ts";
 * console.log(encodeBase64(new Uint8Array([1, 2, 255]))); // "AQL/"
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/**
 * Splits PEM text into blocks. Text outside blocks (comments, OpenSSL's
 * `subject=` lines) is ignored; headers such as `Proc-Type:` inside a block
 * make its base64 unreadable, which is reported as `der: undefined`.
 *
 * @param text The PEM text.
 * @returns The blocks in file order.
 */
export function splitPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK_REGEXP)) {
    const line = text.slice(0, m.index).split("\n").length;
    const label = m[1];
    blocks.push({ label, line, der: m[3] === label ? decodeBase64(m[2]) : undefined });
  }
  return blocks;
}

/**
 * Wraps DER bytes as a PEM block.
 *
 * @param label The PEM label, e.g. `CERTIFICATE`.
 * @param der The bytes.
 * @returns PEM text ending in a newline.
 */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = encodeBase64(der).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
