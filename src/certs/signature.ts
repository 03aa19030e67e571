/**
 * Signature verification with WebCrypto: maps a signature AlgorithmIdentifier
 * to WebCrypto parameters (the allow-list), imports public keys once per
 * algorithm, and converts ECDSA DER signatures to raw r||s.
 *
 * Allowed: RSA PKCS#1 v1.5 with SHA-1/256/384/512, RSA-PSS, ECDSA with
 * SHA-1/256/384/512 on P-256/P-384/P-521, Ed25519. SHA-1 is accepted on
 * purpose: real CA OCSP responders and delegated responder certificates still
 * sign with it (see README, "SHA-1 policy"). MD2, MD5, SHA-224 and anything
 * else are refused as unsupported.
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { ECDSASigValue, ECParameters } from "@peculiar/asn1-ecc";

/** Object identifiers of the signature algorithms stapled accepts. */
export const SIGNATURE_OIDS = {
  sha1WithRSAEncryption: "1.2.840.113549.1.1.5",
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  sha384WithRSAEncryption: "1.2.840.113549.1.1.12",
  sha512WithRSAEncryption: "1.2.840.113549.1.1.13",
  rsassaPss: "1.2.840.113549.1.1.10",
  ecdsaWithSHA1: "1.2.840.10045.4.1",
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  ecdsaWithSHA384: "1.2.840.10045.4.3.3",
  ecdsaWithSHA512: "1.2.840.10045.4.3.4",
  ed25519: "1.3.101.112",
} as const;

const HASH_OIDS: Record<string, string> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const CURVE_OIDS: Record<string, { name: string; size: number }> = {
  "1.2.840.10045.3.1.7": { name: "P-256", size: 32 },
  "1.3.132.0.34": { name: "P-384", size: 48 },
  "1.3.132.0.35": { name: "P-521", size: 66 },
};

const EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1";
const RSA_ENCRYPTION_OID = "1.2.840.113549.1.1.1";

/** A WebCrypto verification recipe derived from an AlgorithmIdentifier. */
export interface SignatureScheme {
  /** Human-readable name for messages, e.g. `sha256WithRSAEncryption`. */
  name: string;
  /** The parameters `crypto.subtle.importKey` needs. */
  importParams: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  /** The parameters `crypto.subtle.verify` needs. */
  verifyParams: AlgorithmIdentifier | RsaPssParams | EcdsaParams | Algorithm;
  /** Whether the DER signature must become raw r||s first. */
  ecdsa: boolean;
  /** The hash used, for the SHA-1 policy and messages. */
  hash?: string;
}

/** Thrown (as a plain Error) when an algorithm is outside the allow-list. */
export class UnsupportedAlgorithmError extends Error {
  /**
   * @param what The algorithm or key that is not supported.
   */
  constructor(what: string) {
    super(`unsupported signature algorithm ${what}`);
    this.name = "UnsupportedAlgorithmError";
  }
}

function rsaScheme(name: string, hash: string): SignatureScheme {
  return {
    name,
    importParams: { name: "RSASSA-PKCS1-v1_5", hash },
    verifyParams: { name: "RSASSA-PKCS1-v1_5" },
    ecdsa: false,
    hash,
  };
}

function ecdsaScheme(name: string, hash: string, curve: string): SignatureScheme {
  return {
    name,
    importParams: { name: "ECDSA", namedCurve: curve },
    verifyParams: { name: "ECDSA", hash },
    ecdsa: true,
    hash,
  };
}

function curveOf(spki: SubjectPublicKeyInfo): { name: string; size: number } {
  const params = spki.algorithm.parameters;
  if (spki.algorithm.algorithm !== EC_PUBLIC_KEY_OID || !params) {
    throw new UnsupportedAlgorithmError("(ECDSA signature with a non-EC key)");
  }
  const oid = AsnConvert.parse(params, ECParameters).namedCurve ?? "(explicit parameters)";
  const curve = CURVE_OIDS[oid];
  if (!curve) throw new UnsupportedAlgorithmError(`(EC curve ${oid})`);
  return curve;
}

/**
 * Works out how to verify a signature made with `algorithm` by `spki`'s key.
 *
 * @param algorithm The signature AlgorithmIdentifier (from a certificate or response).
 * @param spki The signer's public key info.
 * @returns The WebCrypto recipe.
 * @throws {UnsupportedAlgorithmError} When the algorithm is not in the allow-list.
 */
export function signatureScheme(
  algorithm: AlgorithmIdentifier,
  spki: SubjectPublicKeyInfo,
): SignatureScheme {
  const oid = algorithm.algorithm;
  const keyOid = spki.algorithm.algorithm;
  // Parameters are not covered by any signature: only the encodings the
  // standards allow (NULL or absent; RSASSA-PSS has its own) are accepted.
  if (
    oid !== SIGNATURE_OIDS.rsassaPss && algorithm.parameters !== undefined &&
    algorithm.parameters !== null
  ) {
    throw new UnsupportedAlgorithmError(`${oid} with unexpected parameters`);
  }
  const needRsa = (s: SignatureScheme) => {
    if (keyOid !== RSA_ENCRYPTION_OID) {
      throw new UnsupportedAlgorithmError(`${s.name} (non-RSA key)`);
    }
    return s;
  };
  switch (oid) {
    case SIGNATURE_OIDS.sha1WithRSAEncryption:
      return needRsa(rsaScheme("sha1WithRSAEncryption", "SHA-1"));
    case SIGNATURE_OIDS.sha256WithRSAEncryption:
      return needRsa(rsaScheme("sha256WithRSAEncryption", "SHA-256"));
    case SIGNATURE_OIDS.sha384WithRSAEncryption:
      return needRsa(rsaScheme("sha384WithRSAEncryption", "SHA-384"));
    case SIGNATURE_OIDS.sha512WithRSAEncryption:
      return needRsa(rsaScheme("sha512WithRSAEncryption", "SHA-512"));
    case SIGNATURE_OIDS.rsassaPss: {
      if (!algorithm.parameters) {
        throw new UnsupportedAlgorithmError("RSASSA-PSS without parameters");
      }
      const params = AsnConvert.parse(algorithm.parameters, RsaSaPssParams);
      const hash = HASH_OIDS[params.hashAlgorithm.algorithm];
      if (!hash) {
        throw new UnsupportedAlgorithmError(
          `RSASSA-PSS with hash ${params.hashAlgorithm.algorithm}`,
        );
      }
      return needRsa({
        name: `RSASSA-PSS (${hash})`,
        importParams: { name: "RSA-PSS", hash },
        verifyParams: { name: "RSA-PSS", saltLength: params.saltLength } as RsaPssParams,
        ecdsa: false,
        hash,
      });
    }
    case SIGNATURE_OIDS.ecdsaWithSHA1:
      return ecdsaScheme("ecdsa-with-SHA1", "SHA-1", curveOf(spki).name);
    case SIGNATURE_OIDS.ecdsaWithSHA256:
      return ecdsaScheme("ecdsa-with-SHA256", "SHA-256", curveOf(spki).name);
    case SIGNATURE_OIDS.ecdsaWithSHA384:
      return ecdsaScheme("ecdsa-with-SHA384", "SHA-384", curveOf(spki).name);
    case SIGNATURE_OIDS.ecdsaWithSHA512:
      return ecdsaScheme("ecdsa-with-SHA512", "SHA-512", curveOf(spki).name);
    case SIGNATURE_OIDS.ed25519:
      if (keyOid !== SIGNATURE_OIDS.ed25519) {
        throw new UnsupportedAlgorithmError("Ed25519 (non-Ed25519 key)");
      }
      return {
        name: "Ed25519",
        importParams: { name: "Ed25519" },
        verifyParams: { name: "Ed25519" },
        ecdsa: false,
      };
    default:
      throw new UnsupportedAlgorithmError(oid);
  }
}

/**
 * Converts a DER ECDSA-Sig-Value into the fixed-size r||s form WebCrypto wants.
 *
 * @param der The DER signature.
 * @param size The curve's coordinate size in bytes (32 for P-256).
 * @returns The raw signature, or undefined when the DER is malformed.
 */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  let value: ECDSASigValue;
  try {
    value = AsnConvert.parse(der, ECDSASigValue);
  } catch {
    return undefined;
  }
  const out = new Uint8Array(size * 2);
  const parts = [new Uint8Array(value.r), new Uint8Array(value.s)];
  for (let i = 0; i < 2; i++) {
    let n = parts[i];
    while (n.length > size && n[0] === 0) n = n.subarray(1);
    if (n.length > size) return undefined;
    out.set(n, i * size + (size - n.length));
  }
  return out;
}

/**
 * A public key with its imported CryptoKeys, one per algorithm recipe, so a
 * key used for thousands of verifications is imported once.
 */
export class VerifyingKey {
  /** The subjectPublicKeyInfo, parsed. */
  readonly spki: SubjectPublicKeyInfo;
  #der: Uint8Array;
  #keys = new Map<string, Promise<CryptoKey>>();

  /**
   * @param spkiDer The DER SubjectPublicKeyInfo.
   */
  constructor(spkiDer: Uint8Array) {
    this.#der = spkiDer;
    this.spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  }

  /**
   * Verifies `signature` over `data` made with `algorithm` by this key.
   *
   * @param algorithm The signature algorithm identifier.
   * @param signature The signature bytes as found in the structure.
   * @param data The signed bytes, exactly as they were encoded.
   * @returns Whether the signature is valid.
   * @throws {UnsupportedAlgorithmError} When the algorithm is not allowed.
   */
  async verify(
    algorithm: AlgorithmIdentifier,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean> {
    const scheme = signatureScheme(algorithm, this.spki);
    let sig: Uint8Array | undefined = signature;
    if (scheme.ecdsa) {
      const curve = curveOf(this.spki);
      sig = ecdsaDerToRaw(signature, curve.size);
      if (!sig) return false;
    }
    const cacheKey = JSON.stringify(scheme.importParams);
    let key = this.#keys.get(cacheKey);
    if (!key) {
      key = crypto.subtle.importKey(
        "spki",
        this.#der as Uint8Array<ArrayBuffer>,
        scheme.importParams,
        false,
        ["verify"],
      );
      this.#keys.set(cacheKey, key);
      key.catch(() => this.#keys.delete(cacheKey));
    }
    let imported: CryptoKey;
    try {
      imported = await key;
    } catch (err) {
      throw new UnsupportedAlgorithmError(
        `${scheme.name} (key import failed: ${(err as Error).message})`,
      );
    }
    return await crypto.subtle.verify(
      scheme.verifyParams as Algorithm,
      imported,
      sig as Uint8Array<ArrayBuffer>,
      data as Uint8Array<ArrayBuffer>,
    );
  }
}
