/**
 * Signature verification with WebCrypto: maps a signature AlgorithmIdentifier
 * to WebCrypto parameters (the allow-list), imports public keys once per
 * algorithm, and converts ECDSA DER signatures to raw r||s.
 *
 * Signature values and parameters are read as strictly as OpenSSL reads them
 * (a staple OpenSSL refuses fails in clients): an ECDSA-Sig-Value must be
 * the DER SEQUENCE of two minimal positive INTEGERs and nothing more
 * (OpenSSL re-encodes it and compares); RSASSA-PSS parameters must be DER,
 * name a known hash, MGF1 with that same hash (WebCrypto knows no other),
 * a salt length of 0 or more and trailerField 1 (rsa_ameth.c,
 * ossl_rsa_pss_get_param); Ed25519 takes no parameters at all (RFC 8410).
 *
 * Allowed: RSA PKCS#1 v1.5 with SHA-1/256/384/512, RSA-PSS, ECDSA with
 * SHA-1/256/384/512 on P-256/P-384/P-521, Ed25519. SHA-1 is accepted on
 * purpose: real CA OCSP responders and delegated responder certificates still
 * sign with it (see README, "SHA-1 policy"). MD2, MD5, SHA-224 and anything
 * else are refused as unsupported.
 *
 * Strict DER and the ECDSA signature value conversion are in _ecdsa_sig.ts
 * (re-exported here).
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { ECParameters } from "@peculiar/asn1-ecc";
import { ecdsaDerToRaw, parseDer } from "./_ecdsa_sig.ts";

export { ecdsaDerToRaw, MalformedSignatureError } from "./_ecdsa_sig.ts";

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
/** id-mgf1 (RFC 8017 appendix B.2.1). */
const MGF1_OID = "1.2.840.113549.1.1.8";

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

/**
 * Thrown when an algorithm's parameters are malformed (not DER, or values
 * OpenSSL refuses): the algorithm is known, its use here is invalid.
 */
export class InvalidAlgorithmParametersError extends UnsupportedAlgorithmError {
  /**
   * @param algorithm The algorithm, e.g. `RSASSA-PSS`.
   * @param why What is wrong with its parameters.
   */
  constructor(algorithm: string, why: string) {
    super(algorithm);
    this.message = `invalid ${algorithm} parameters: ${why}`;
    this.name = "InvalidAlgorithmParametersError";
  }
}

/** The parameters of a digest AlgorithmIdentifier: NULL or absent (RFC 4055 §2.1). */
function digestOf(alg: AlgorithmIdentifier, where: string): string {
  const hash = HASH_OIDS[alg.algorithm];
  if (!hash) throw new UnsupportedAlgorithmError(`RSASSA-PSS with ${where} ${alg.algorithm}`);
  if (alg.parameters !== undefined && alg.parameters !== null) {
    throw new InvalidAlgorithmParametersError(
      "RSASSA-PSS",
      `${where} ${hash} has parameters other than NULL`,
    );
  }
  return hash;
}

/**
 * Reads RSASSA-PSS-params (RFC 8017 appendix A.2.3) as OpenSSL does
 * (ossl_rsa_pss_decode, ossl_rsa_pss_get_param): absent fields take their
 * DEFAULT (SHA-1, MGF1 with SHA-1, salt 20, trailerField 1).
 */
function pssScheme(algorithm: AlgorithmIdentifier): SignatureScheme {
  if (algorithm.parameters === undefined || algorithm.parameters === null) {
    throw new InvalidAlgorithmParametersError(
      "RSASSA-PSS",
      "missing (a SEQUENCE is required)",
    );
  }
  const params = parseDer(new Uint8Array(algorithm.parameters), RsaSaPssParams);
  if (!params) {
    throw new InvalidAlgorithmParametersError(
      "RSASSA-PSS",
      "not a DER RSASSA-PSS-params SEQUENCE (BER, trailing bytes or DEFAULT values written out)",
    );
  }
  const hash = digestOf(params.hashAlgorithm, "hashAlgorithm");
  const mgf = params.maskGenAlgorithm;
  if (mgf.algorithm !== MGF1_OID) {
    throw new InvalidAlgorithmParametersError(
      "RSASSA-PSS",
      `maskGenAlgorithm ${mgf.algorithm} is not MGF1`,
    );
  }
  const mgfHashAlg = mgf.parameters === undefined || mgf.parameters === null
    ? undefined
    : parseDer(new Uint8Array(mgf.parameters), AlgorithmIdentifier);
  if (!mgfHashAlg) {
    throw new InvalidAlgorithmParametersError(
      "RSASSA-PSS",
      "MGF1 parameters are not a DER hash AlgorithmIdentifier",
    );
  }
  const mgfHash = digestOf(mgfHashAlg, "MGF1 hash");
  if (mgfHash !== hash) {
    throw new InvalidAlgorithmParametersError(
      "RSASSA-PSS",
      `MGF1 uses ${mgfHash} but the signature hash is ${hash} (only the same hash is supported)`,
    );
  }
  if (!Number.isSafeInteger(params.saltLength) || params.saltLength < 0) {
    throw new InvalidAlgorithmParametersError(
      "RSASSA-PSS",
      `saltLength ${params.saltLength} is negative (OpenSSL: invalid salt length)`,
    );
  }
  if (params.trailerField !== 1) {
    throw new InvalidAlgorithmParametersError(
      "RSASSA-PSS",
      `trailerField ${params.trailerField} is not 1 (OpenSSL: invalid trailer)`,
    );
  }
  return {
    name: `RSASSA-PSS (${hash})`,
    importParams: { name: "RSA-PSS", hash },
    verifyParams: { name: "RSA-PSS", saltLength: params.saltLength } as RsaPssParams,
    ecdsa: false,
    hash,
  };
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

/** The curve of each EC key seen, so the parameters are parsed once per key, not per signature. */
const CURVES = new WeakMap<SubjectPublicKeyInfo, { name: string; size: number }>();

function curveOf(spki: SubjectPublicKeyInfo): { name: string; size: number } {
  const known = CURVES.get(spki);
  if (known) return known;
  const params = spki.algorithm.parameters;
  if (spki.algorithm.algorithm !== EC_PUBLIC_KEY_OID || !params) {
    throw new UnsupportedAlgorithmError("(ECDSA signature with a non-EC key)");
  }
  const oid = AsnConvert.parse(params, ECParameters).namedCurve ?? "(explicit parameters)";
  const curve = CURVE_OIDS[oid];
  if (!curve) throw new UnsupportedAlgorithmError(`(EC curve ${oid})`);
  CURVES.set(spki, curve);
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
    case SIGNATURE_OIDS.rsassaPss:
      return needRsa(pssScheme(algorithm));
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
      if (algorithm.parameters !== undefined) {
        throw new InvalidAlgorithmParametersError("Ed25519", "present (RFC 8410: absent)");
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
   * @throws {UnsupportedAlgorithmError} When the algorithm is not allowed
   * ({@linkcode InvalidAlgorithmParametersError} when its parameters are malformed).
   * @throws {MalformedSignatureError} When the signature value is not strict DER (ECDSA).
   */
  async verify(
    algorithm: AlgorithmIdentifier,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean> {
    const scheme = signatureScheme(algorithm, this.spki);
    const sig = scheme.ecdsa ? ecdsaDerToRaw(signature, curveOf(this.spki).size) : signature;
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
