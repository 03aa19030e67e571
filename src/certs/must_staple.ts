/**
 * Must-Staple: the TLS feature extension (RFC 7633, OID 1.3.6.1.5.5.7.1.24)
 * listing `status_request` (5). A client such as Firefox hard-fails a
 * connection to a Must-Staple certificate served without a staple, so these
 * certificates come first wherever stapled reports health.
 *
 * The extension is read by a small DER walk over the certificate (Certificate
 * -> tbsCertificate -> [3] extensions), microseconds per certificate, so a
 * scan of 100,000 files does not pay for a full ASN.1 parse.
 *
 * @module
 */
import { children, type Tlv, tlv } from "./_der_walk.ts";

/** id-pe-tlsfeature (RFC 7633 §6). */
export const ID_PE_TLSFEATURE = "1.3.6.1.5.5.7.1.24";

/** The TLS extension number of status_request (RFC 6066 §8). */
export const TLS_FEATURE_STATUS_REQUEST = 5;

/** The DER of the OID 1.3.6.1.5.5.7.1.24, without tag and length. */
const TLSFEATURE_OID = new Uint8Array([0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x18]);

function sameBytes(der: Uint8Array, el: Tlv, want: Uint8Array): boolean {
  if (el.end - el.contents !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (der[el.contents + i] !== want[i]) return false;
  return true;
}

/**
 * The TLS features a certificate requires (RFC 7633), or `undefined` when it
 * has no TLS feature extension.
 *
 * @param der The certificate's DER bytes.
 * @returns The TLS extension numbers listed, in order, or undefined.
 * @throws {RangeError} When the bytes are not DER of a certificate's shape.
 *
 * @example A certificate without the extension
 * ```ts
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * import { tlsFeatures } from "./must_staple.ts";
 * const ca = await TestCa.root("Example CA");
 * const leaf = await ca.leaf("www.example.test");
 * console.assert(tlsFeatures(leaf.der) === undefined);
 * ```
 */
export function tlsFeatures(der: Uint8Array): number[] | undefined {
  const cert = tlv(der, 0, der.length);
  if (cert.tag !== 0x30) throw new RangeError("Cannot read certificate: not a SEQUENCE");
  const tbs = children(der, cert)[0];
  if (!tbs || tbs.tag !== 0x30) throw new RangeError("Cannot read certificate: no tbsCertificate");
  const explicit = children(der, tbs).find((t) => t.tag === 0xa3);
  if (!explicit) return undefined;
  const list = children(der, explicit)[0];
  if (!list || list.tag !== 0x30) throw new RangeError("Cannot read certificate: bad extensions");
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    if (parts.length < 2 || parts[0].tag !== 0x06 || !sameBytes(der, parts[0], TLSFEATURE_OID)) {
      continue;
    }
    const value = parts[parts.length - 1];
    if (value.tag !== 0x04) throw new RangeError("Cannot read TLS feature: no OCTET STRING");
    const seq = tlv(der, value.contents, value.end);
    if (seq.tag !== 0x30) throw new RangeError("Cannot read TLS feature: not a SEQUENCE");
    return children(der, seq).map((n) => {
      if (n.tag !== 0x02 || n.end - n.contents > 4) {
        throw new RangeError("Cannot read TLS feature: not a small INTEGER");
      }
      let v = 0;
      for (let i = n.contents; i < n.end; i++) v = v * 256 + der[i];
      return v;
    });
  }
  return undefined;
}

/**
 * Whether a certificate is Must-Staple: its TLS feature extension lists
 * status_request. A certificate whose DER cannot be walked counts as not
 * Must-Staple (the bundle reader reports such files).
 *
 * @param der The certificate's DER bytes.
 * @returns True when clients must get a staple with it.
 *
 * @example
 * ```ts
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * import { isMustStaple } from "./must_staple.ts";
 * const ca = await TestCa.root("Example CA");
 * console.assert(!isMustStaple((await ca.leaf("www.example.test")).der));
 * console.assert(!isMustStaple(new Uint8Array([1, 2, 3])));
 * ```
 */
export function isMustStaple(der: Uint8Array): boolean {
  try {
    return tlsFeatures(der)?.includes(TLS_FEATURE_STATUS_REQUEST) ?? false;
  } catch {
    return false;
  }
}
