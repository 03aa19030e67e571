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
 * Decodes base64 text strictly (whitespace allowed between characters).
 *
 * @param text The base64 text.
 * @returns The bytes, or undefined when the text is not valid base64.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, "");
  if (!BASE64_REGEXP.test(compact) || compact.length % 4 !== 0) return undefined;
  try {
    const bin = atob(compact);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Encodes bytes as base64.
 *
 * @param bytes The bytes.
 * @returns Base64 text without line breaks.
 */
export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
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
