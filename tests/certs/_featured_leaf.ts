/**
 * Test leaves with what scripts/lib/pki.ts does not put in: a subjectAltName
 * and the TLS feature extension (Must-Staple), signed by a test CA.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { generateKeys, Issued, keyAlgorithm, type TestCa } from "../../scripts/lib/pki.ts";

x509.cryptoProvider.set(crypto);

const DAY = 86_400_000;

/** What to put in the leaf. */
export interface FeaturedLeafOptions {
  /** OCSP URLs. @default none */
  ocspUrls?: string[];
  /** TLS feature numbers (RFC 7633); `[5]` is Must-Staple. @default none */
  tlsFeatures?: number[];
  /** DNS names for subjectAltName. @default [name] */
  dns?: string[];
}

function derInteger(n: number): number[] {
  const bytes: number[] = [];
  do {
    bytes.unshift(n & 0xff);
    n >>= 8;
  } while (n > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return [0x02, bytes.length, ...bytes];
}

/** The DER of a TLSFeature value: SEQUENCE OF INTEGER. */
export function tlsFeatureValue(features: number[]): Uint8Array<ArrayBuffer> {
  const body = features.flatMap(derInteger);
  return new Uint8Array([0x30, body.length, ...body]);
}

/**
 * Issues a leaf with a SAN and, optionally, TLS features.
 *
 * @param ca The issuing test CA.
 * @param name The common name.
 * @param options URLs, features, names.
 * @returns The leaf.
 */
export async function featuredLeaf(
  ca: TestCa,
  name: string,
  options: FeaturedLeafOptions = {},
): Promise<Issued> {
  const keys = await generateKeys("ec");
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.SubjectAlternativeNameExtension(
      (options.dns ?? [name]).map((d) => ({ type: "dns" as const, value: d })),
    ),
  ];
  if (options.tlsFeatures) {
    extensions.push(
      new x509.Extension("1.3.6.1.5.5.7.1.24", false, tlsFeatureValue(options.tlsFeatures)),
    );
  }
  if (options.ocspUrls?.length) {
    extensions.push(
      new x509.AuthorityInfoAccessExtension({
        ocsp: options.ocspUrls.map((u) => new x509.GeneralName("url", u)),
      }),
    );
  }
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `1${crypto.getRandomValues(new Uint8Array(7)).toHex()}`,
    subject: `CN=${name}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 90 * DAY),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: { ...keyAlgorithm(ca.kind).gen, ...keyAlgorithm(ca.kind).sign },
    extensions,
  });
  return new Issued(cert, keys, "ec");
}
