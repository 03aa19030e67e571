/**
 * Certificate bundles and chains: PEM/DER reading, leaf and issuer discovery,
 * shared parsed certificates and WebCrypto signature checks.
 *
 * @module
 */
export * from "./bundle.ts";
export * from "./parsed_cert.ts";
export * from "./pem.ts";
export * from "./signature.ts";
