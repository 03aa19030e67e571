/**
 * OCSP: CertIDs, requests, HTTP fetching and complete response validation.
 *
 * @module
 */
export * from "./cert_id.ts";
export * from "./fetch.ts";
export * from "./request.ts";
export * from "./validate.ts";
