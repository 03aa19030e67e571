/**
 * The issuer from the leaf's AIA caIssuers URL (RFC 5280 §4.2.2.1), for a
 * bundle whose issuer is nowhere HAProxy looks (the bundle, the global
 * `issuers-chain-path`, `<crt>.issuer`): fetched over HTTP with the limits
 * of an OCSP request (one timeout for connect and body, `Accept-Encoding:
 * identity` and no Content-Encoding, a 65,536-byte cap counted while
 * reading, at most one redirect, `Connection: close`), taken only as a DER
 * or PEM certificate (a PKCS#7 certs-only answer or anything else is refused
 * by name), checked to have issued and signed the leaf (`node:crypto`'s
 * `checkIssued()` and `verify()`), and written atomically as PEM where
 * HAProxy reads the issuer. Nothing is written for an answer that fails a
 * check.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import {
  CertFileAccessError,
  CertIssuerMissingError,
  CertParsingError,
  CertValidationError,
} from "../errors/mod.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";
import { writeStapleAtomic } from "../staples/write.ts";
import { certificatesIn } from "./bundle.ts";
import { readBoundedBody } from "../ocsp/fetch.ts";
import { splitPem, toPem } from "./pem.ts";

/** Largest caIssuers answer read, bytes (the cap of an OCSP response). */
export const MAX_ISSUER_BYTES = 65_536;

/** The PKCS#7 signedData OID, DER-encoded (`06 09 2a 86 48 86 f7 0d 01 07 02`). */
const PKCS7_SIGNED_DATA = new Uint8Array([
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x07,
  0x02,
]);

const CA_ISSUERS_REGEXP = /^CA Issuers - URI:(.+)$/gm;

/** The leaf of a bundle and its AIA caIssuers URLs. */
export interface LeafCaIssuers {
  /** The leaf: the bundle's first certificate that is not a CA (else its first). */
  leaf: X509Certificate;
  /** Its `caIssuers` URIs, in order (http and https only). */
  urls: string[];
}

/**
 * Finds a bundle's leaf and its caIssuers URLs.
 *
 * @param path The bundle file, for messages.
 * @param bytes Its contents (PEM or DER).
 * @returns The leaf and its URLs (maybe none).
 * @throws {CertParsingError} When the file holds no certificate.
 *
 * @example A bundle whose leaf names no caIssuers URL
 * ```ts
 * import assert from "node:assert/strict";
 * import { leafCaIssuers } from "./aia_issuer.ts";
 * try {
 *   leafCaIssuers("/etc/ssl/site.pem", new TextEncoder().encode("no certificate"));
 * } catch (err) {
 *   assert.ok((err as Error).message.includes("no certificate found"));
 * }
 * ```
 */
export function leafCaIssuers(path: string, bytes: Uint8Array): LeafCaIssuers {
  const certs = certificatesIn(path, bytes).flatMap((der) => {
    try {
      return [new X509Certificate(der)];
    } catch {
      return [];
    }
  });
  const leaf = certs.find((c) => !c.ca) ?? certs[0];
  if (!leaf) throw new CertParsingError(path, "no certificate found that parses as X.509");
  const urls = [...(leaf.infoAccess ?? "").matchAll(CA_ISSUERS_REGEXP)]
    .map((m) => m[1].trim())
    .filter((u) => /^https?:\/\//i.test(u));
  return { leaf, urls };
}

/** Options of {@linkcode fetchCaIssuer}. */
export interface FetchCaIssuerOptions {
  /** Whole-request timeout in ms, connect and body included. @default DEFAULTS.timeout * 1000 */
  timeoutMs?: number;
  /** Largest body accepted. @default MAX_ISSUER_BYTES */
  maxBytes?: number;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** The clock the timeout runs on. @default systemClock */
  clock?: Clock;
}

/** What the caIssuers URL gave. */
export interface FetchedIssuer {
  /** The issuer certificate. */
  issuer: X509Certificate;
  /** It as PEM, one certificate. */
  pem: string;
  /** The URL it came from. */
  url: string;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array, at: number): boolean {
  return prefix.every((b, i) => bytes[at + i] === b);
}

/** Whether DER bytes look like a PKCS#7 ContentInfo (signedData OID near the start). */
function isPkcs7(der: Uint8Array): boolean {
  for (let at = 0; at < Math.min(16, der.length); at++) {
    if (startsWith(der, PKCS7_SIGNED_DATA, at)) return true;
  }
  return false;
}

/** The one certificate an answer holds, or a one-line reason. */
function certificateOf(body: Uint8Array): X509Certificate | string {
  const text = new TextDecoder("latin1").decode(body.subarray(0, Math.min(body.length, 4096)));
  if (text.includes("-----BEGIN ")) {
    const blocks = splitPem(new TextDecoder("latin1").decode(body));
    if (blocks.some((b) => b.label === "PKCS7")) {
      return "it is a PKCS#7 bundle (PEM), which stapled does not read: put the issuer in the bundle or in the issuer file";
    }
    const cert = blocks.find((b) => b.label === "CERTIFICATE");
    if (!cert?.der) return "it is PEM without a CERTIFICATE block";
    body = cert.der;
  } else if (body[0] !== 0x30) {
    return "it is neither a DER nor a PEM certificate";
  } else if (isPkcs7(body)) {
    return "it is a PKCS#7 certs-only bundle (DER), which stapled does not read: put the issuer in the bundle or in the issuer file";
  }
  try {
    return new X509Certificate(body);
  } catch {
    return "it is not a valid X.509 certificate";
  }
}

/**
 * Fetches the certificate at a caIssuers URL and checks that it issued and
 * signed `leaf`.
 *
 * @param certPath The bundle file, for messages.
 * @param leaf The bundle's leaf.
 * @param url The caIssuers URL.
 * @param options Timeout, cap, fetch, signal, clock.
 * @returns The issuer.
 * @throws {CertIssuerMissingError} When it cannot be fetched (network, timeout, HTTP status, size): retried later.
 * @throws {CertValidationError} When the answer is no certificate, a PKCS#7 bundle, or not the leaf's issuer.
 *
 * @example A URL nothing listens on
 * ```ts
 * import assert from "node:assert/strict";
 * import { X509Certificate } from "node:crypto";
 * import { fetchCaIssuer } from "./aia_issuer.ts";
 * const fetch = () => Promise.reject(new TypeError("connection refused"));
 * try {
 *   await fetchCaIssuer("/etc/ssl/site.pem", {} as X509Certificate, "http://127.0.0.1:9/ca.der", {
 *     fetch,
 *   });
 * } catch (err) {
 *   assert.ok((err as Error).message.includes("cannot fetch the issuer from http://127.0.0.1:9/ca.der"));
 * }
 * ```
 */
export async function fetchCaIssuer(
  certPath: string,
  leaf: X509Certificate,
  url: string,
  options: FetchCaIssuerOptions = {},
): Promise<FetchedIssuer> {
  const {
    timeoutMs = DEFAULTS.timeout * 1000,
    maxBytes = MAX_ISSUER_BYTES,
    fetch: doFetch = fetch,
    clock = systemClock,
  } = options;
  const missing = (why: string, cause?: unknown) =>
    new CertIssuerMissingError(
      certPath,
      `issuer missing: cannot fetch the issuer from ${url} (the certificate's caIssuers URL): ${why}`,
      { cause },
    );
  const refused = (why: string) =>
    new CertValidationError(
      certPath,
      `the caIssuers URL ${url} answered with no usable issuer: ${why}; nothing written`,
    );
  const timeout = new AbortController();
  const timer = clock.setTimeout(
    () => timeout.abort(new DOMException("caIssuers request timed out", "TimeoutError")),
    timeoutMs,
  );
  const signal = options.signal
    ? AbortSignal.any([timeout.signal, options.signal])
    : timeout.signal;
  let body: Uint8Array | string;
  try {
    let target = url;
    let response: Response;
    for (let redirects = 0;; redirects++) {
      response = await doFetch(target, {
        headers: { "accept-encoding": "identity", connection: "close" },
        redirect: "manual",
        signal,
      });
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location) break;
      await response.body?.cancel();
      if (redirects >= 1) throw missing("too many redirects (more than 1)");
      target = new URL(location, target).href;
      if (!/^https?:$/.test(new URL(target).protocol)) throw missing(`redirect to ${target}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw missing(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    const read = await readBoundedBody(response, maxBytes);
    body = read.problem ?? read.bytes;
  } catch (err) {
    if (err instanceof CertIssuerMissingError) throw err;
    if (timeout.signal.aborted) {
      throw missing(`no complete answer within ${timeoutMs / 1000} s`, err);
    }
    if (options.signal?.aborted) throw missing("cancelled", err);
    throw missing((err as Error).message?.split("\n")[0] ?? String(err), err);
  } finally {
    clock.clearTimeout(timer);
  }
  if (typeof body === "string") throw missing(body);
  const issuer = certificateOf(body);
  if (typeof issuer === "string") throw refused(issuer);
  if (!leaf.checkIssued(issuer) || !leaf.verify(issuer.publicKey)) {
    throw refused(
      `"${issuer.subject.replaceAll("\n", ", ")}" did not sign "${
        leaf.subject.replaceAll("\n", ", ")
      }"`,
    );
  }
  return { issuer, pem: toPem("CERTIFICATE", new Uint8Array(issuer.raw)), url };
}

/**
 * Writes a fetched issuer atomically as PEM (a dotfile temp beside it,
 * renamed over it), where HAProxy reads it.
 *
 * @param certPath The bundle file, for messages.
 * @param issuerFile Where HAProxy reads the issuer (`<base>.issuer`).
 * @param pem The issuer, PEM.
 * @throws {CertFileAccessError} When it cannot be written.
 *
 * @example Write an issuer file
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeIssuerFile } from "./aia_issuer.ts";
 * const dir = await Deno.makeTempDir();
 * await writeIssuerFile(`${dir}/site.pem`, `${dir}/site.pem.issuer`, "-----BEGIN CERTIFICATE-----\n");
 * assert.ok((await Deno.readTextFile(`${dir}/site.pem.issuer`)).startsWith("-----BEGIN"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeIssuerFile(
  certPath: string,
  issuerFile: string,
  pem: string,
): Promise<void> {
  try {
    await writeStapleAtomic(issuerFile, new TextEncoder().encode(pem));
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause ?? err;
    throw new CertFileAccessError(
      certPath,
      `cannot write the fetched issuer to ${issuerFile}: ${(cause as Error).message}`,
      { cause: err },
    );
  }
}
