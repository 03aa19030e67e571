/**
 * A throwaway PKI for tests, benchmarks and the demo: root and intermediate
 * CAs, leaves with or without OCSP URLs, delegated OCSP responders with or
 * without the OCSPSigning EKU, all made in-process with WebCrypto.
 *
 * Not shipped in the binary.
 *
 * @module
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { toPem } from "../../src/certs/pem.ts";
import { toHex } from "../../src/certs/parsed_cert.ts";

x509.cryptoProvider.set(crypto);

/** Key types the test PKI can make. */
export type KeyKind = "rsa" | "rsa-pss" | "ec" | "ec384" | "ed25519";

/** id-kp-OCSPSigning. */
export const OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

const DAY = 86_400_000;

/** Key generation parameters per kind, and the signing algorithm they use. */
export function keyAlgorithm(
  kind: KeyKind,
): {
  gen: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm;
  sign: Algorithm | EcdsaParams | RsaPssParams;
} {
  switch (kind) {
    case "rsa":
      return {
        gen: {
          name: "RSASSA-PKCS1-v1_5",
          hash: "SHA-256",
          publicExponent: new Uint8Array([1, 0, 1]),
          modulusLength: 2048,
        },
        sign: { name: "RSASSA-PKCS1-v1_5" },
      };
    case "rsa-pss":
      return {
        gen: {
          name: "RSA-PSS",
          hash: "SHA-256",
          publicExponent: new Uint8Array([1, 0, 1]),
          modulusLength: 2048,
        },
        sign: { name: "RSA-PSS", saltLength: 32 } as RsaPssParams,
      };
    case "ec":
      return {
        gen: { name: "ECDSA", namedCurve: "P-256" },
        sign: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams,
      };
    case "ec384":
      return {
        gen: { name: "ECDSA", namedCurve: "P-384" },
        sign: { name: "ECDSA", hash: "SHA-384" } as EcdsaParams,
      };
    case "ed25519":
      return { gen: { name: "Ed25519" }, sign: { name: "Ed25519" } };
  }
}

/** Makes a key pair of the given kind. */
export async function generateKeys(kind: KeyKind): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(keyAlgorithm(kind).gen, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
}

/** A certificate with its key pair. */
export class Issued {
  /** The certificate. */
  readonly cert: x509.X509Certificate;
  /** Its key pair (private key exportable). */
  readonly keys: CryptoKeyPair;
  /** The key kind. */
  readonly kind: KeyKind;

  /**
   * @param cert The certificate.
   * @param keys Its key pair.
   * @param kind Its key kind.
   */
  constructor(cert: x509.X509Certificate, keys: CryptoKeyPair, kind: KeyKind) {
    this.cert = cert;
    this.keys = keys;
    this.kind = kind;
  }

  /** DER bytes. */
  get der(): Uint8Array {
    return new Uint8Array(this.cert.rawData);
  }

  /** PEM text. */
  get pem(): string {
    return toPem("CERTIFICATE", this.der);
  }

  /** Serial number in hex, as @peculiar/x509 prints it. */
  get serial(): string {
    return this.cert.serialNumber;
  }

  /** The private key as PKCS#8 PEM (OpenSSL reads it). */
  async keyPem(): Promise<string> {
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", this.keys.privateKey));
    return toPem("PRIVATE KEY", pkcs8);
  }

  /** The signing algorithm this key uses. */
  get signAlgorithm(): Algorithm | EcdsaParams | RsaPssParams {
    return keyAlgorithm(this.kind).sign;
  }
}

/** Options for a certificate the test CA issues. */
export interface IssueOptions {
  /** Key type. @default "ec" */
  key?: KeyKind;
  /** Reuse an existing key pair instead of generating one. */
  keys?: CryptoKeyPair;
  /** Serial in hex. @default random */
  serial?: string;
  /** @default now - 1 day */
  notBefore?: Date;
  /** @default now + 90 days */
  notAfter?: Date;
  /** OCSP URLs for the authorityInfoAccess extension. @default none */
  ocspUrls?: string[];
  /** caIssuers URLs for the authorityInfoAccess extension. @default none */
  caIssuersUrls?: string[];
  /** Extended key usages. */
  ekus?: string[];
  /** Mark the certificate as a CA. @default false */
  ca?: boolean;
  /** Issuer name override (to make a certificate that names the wrong issuer). */
  issuerName?: string;
  /** Add an (unknown) extension with this OID, marked critical. */
  criticalExtension?: string;
}

let serialCounter = 0x1000;

/** A certificate authority that can issue certificates. */
export class TestCa extends Issued {
  /** The CA's name, e.g. `CN=Test Root`. */
  readonly name: string;

  private constructor(issued: Issued, name: string) {
    super(issued.cert, issued.keys, issued.kind);
    this.name = name;
  }

  /**
   * Makes a self-signed root CA.
   *
   * @param name Common name.
   * @param options Key type and validity.
   * @returns The root.
   */
  static async root(name: string, options: IssueOptions = {}): Promise<TestCa> {
    const kind = options.key ?? "ec";
    const keys = options.keys ?? await generateKeys(kind);
    const dn = `CN=${name}, O=stapled tests`;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: options.serial ?? nextSerial(),
      name: dn,
      notBefore: options.notBefore ?? new Date(now - DAY),
      notAfter: options.notAfter ?? new Date(now + 3650 * DAY),
      keys,
      signingAlgorithm: { ...keyAlgorithm(kind).gen, ...keyAlgorithm(kind).sign },
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestCa(new Issued(cert, keys, kind), dn);
  }

  /**
   * Issues a certificate.
   *
   * @param name Common name.
   * @param options What to put in it.
   * @returns The certificate and its keys.
   */
  async issue(name: string, options: IssueOptions = {}): Promise<Issued> {
    const kind = options.key ?? "ec";
    const keys = options.keys ?? await generateKeys(kind);
    const now = Date.now();
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
    ];
    if (options.ca) {
      extensions.push(
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
      );
    } else {
      extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true));
    }
    if (options.ekus?.length) {
      extensions.push(new x509.ExtendedKeyUsageExtension(options.ekus, false));
    }
    if (options.criticalExtension) {
      extensions.push(
        new x509.Extension(options.criticalExtension, true, new Uint8Array([0x05, 0x00])),
      );
    }
    if (options.ocspUrls?.length || options.caIssuersUrls?.length) {
      extensions.push(
        new x509.AuthorityInfoAccessExtension({
          ocsp: (options.ocspUrls ?? []).map((u) => new x509.GeneralName("url", u)),
          caIssuers: (options.caIssuersUrls ?? []).map((u) => new x509.GeneralName("url", u)),
        }),
      );
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: options.serial ?? nextSerial(),
      subject: options.ca ? `CN=${name}, O=stapled tests` : `CN=${name}`,
      issuer: options.issuerName ?? this.cert.subject,
      notBefore: options.notBefore ?? new Date(now - DAY),
      notAfter: options.notAfter ?? new Date(now + 90 * DAY),
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: { ...keyAlgorithm(this.kind).gen, ...keyAlgorithm(this.kind).sign },
      extensions,
    });
    return new Issued(cert, keys, kind);
  }

  /**
   * Issues an intermediate CA.
   *
   * @param name Common name.
   * @param options Key type and validity.
   * @returns The intermediate, able to issue in turn.
   */
  async intermediate(name: string, options: IssueOptions = {}): Promise<TestCa> {
    const issued = await this.issue(name, { ...options, ca: true });
    return new TestCa(issued, issued.cert.subject);
  }

  /**
   * Issues a leaf (server) certificate.
   *
   * @param name Common name (also the DNS name).
   * @param options OCSP URLs, serial, validity, key.
   * @returns The leaf and its keys.
   */
  leaf(name: string, options: IssueOptions = {}): Promise<Issued> {
    return this.issue(name, { ekus: ["1.3.6.1.5.5.7.3.1"], ...options });
  }

  /**
   * Issues a delegated OCSP responder certificate.
   *
   * @param name Common name.
   * @param options `ekus` defaults to id-kp-OCSPSigning; pass `[]` for none.
   * @returns The responder and its keys.
   */
  responder(name: string, options: IssueOptions = {}): Promise<Issued> {
    return this.issue(name, { ekus: [OCSP_SIGNING], ...options });
  }
}

function nextSerial(): string {
  serialCounter += 1 + Math.floor(Math.random() * 1000);
  return (0x10000000 + serialCounter).toString(16) +
    toHex(crypto.getRandomValues(new Uint8Array(4)));
}

/**
 * Writes a HAProxy-style bundle: the leaf, then the chain, then the key.
 *
 * @param path Where to write.
 * @param leaf The leaf.
 * @param chain Certificates to append (usually the issuer).
 * @param options Whether to include the private key. @default true
 */
export async function writeBundle(
  path: string,
  leaf: Issued,
  chain: Issued[] = [],
  options: { key?: boolean } = {},
): Promise<void> {
  let text = leaf.pem + chain.map((c) => c.pem).join("");
  if (options.key ?? true) text += await leaf.keyPem();
  await Deno.writeTextFile(path, text);
}
