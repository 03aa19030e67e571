/**
 * Fetches an OCSP response over HTTP (RFC 6960 Appendix A, RFC 5019 §5):
 * GET when the URL plus the URL-encoded base64 request fits in 255 bytes,
 * else POST `application/ocsp-request`; one timeout covering connect and
 * body; `Accept-Encoding: identity`, a Content-Encoding refused and the
 * delivered bytes counted against the cap while reading; at most one
 * redirect; status 200 and `application/ocsp-response` required. Each request uses its own connection
 * (`Connection: close`): simple responders such as OpenSSL's serve one
 * connection at a time and would otherwise wait on our idle pooled one.
 *
 * @module
 */
import { OcspFetchError } from "../errors/mod.ts";
import { encodeBase64 } from "../certs/mod.ts";
import { DEFAULTS } from "../config/defaults.ts";

/**
 * Headers of every request: no compression (Deno's fetch otherwise asks for
 * gzip and br and inflates the body, so a tiny body could become gigabytes),
 * and a connection of its own.
 */
const REQUEST_HEADERS: Readonly<Record<string, string>> = {
  "accept-encoding": "identity",
  connection: "close",
};

/** RFC 5019 §5: GET requests must be shorter than this. */
export const MAX_GET_LENGTH = 255;

/** Options of {@linkcode fetchOcspResponse}. */
export interface FetchOcspOptions {
  /** The certificate file, named in errors. @default "" */
  file?: string;
  /** Whole-request timeout in ms, connect and body included. @default DEFAULTS.timeout * 1000 */
  timeoutMs?: number;
  /** Largest body accepted, in bytes. @default 65536 */
  maxBytes?: number;
  /** Redirects followed. @default 1 */
  maxRedirects?: number;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * The GET URL for a request: the base URL, a `/` and the URL-encoded base64
 * request (RFC 6960 Appendix A.1).
 *
 * @param url The responder URL.
 * @param request The DER request.
 * @returns The full GET URL.
 */
export function ocspGetUrl(url: string, request: Uint8Array): string {
  const sep = url.endsWith("/") ? "" : "/";
  return url + sep + encodeURIComponent(encodeBase64(request));
}

/**
 * Refuses a body sent with a Content-Encoding: stapled asks for `identity`
 * and decodes nothing, so a compressed body could only be a misbehaving or
 * hostile responder (a 1.6 KB brotli body inflates to 1 GiB).
 */
function checkEncoding(file: string, url: string, response: Response): void {
  const header = response.headers.get("content-encoding");
  if (header === null) return;
  const codings = header.split(",").map((c) => c.trim().toLowerCase()).filter((c) => c !== "");
  if (codings.every((c) => c === "identity")) return;
  throw new OcspFetchError(
    file,
    url,
    `response has Content-Encoding "${header.trim()}"; stapled asks for identity and decodes no compressed body`,
  );
}

/**
 * Reads the body, counting the bytes actually delivered (after any decoding
 * the fetch implementation did) against `maxBytes`, and stops reading as soon
 * as they exceed it. A Content-Length over the cap is refused before reading;
 * one within it only sizes the buffer, it is not trusted as a bound.
 */
async function readCapped(
  file: string,
  url: string,
  response: Response,
  maxBytes: number,
): Promise<Uint8Array> {
  const header = response.headers.get("content-length");
  const length = header === null ? NaN : Number(header);
  if (Number.isFinite(length) && length > maxBytes) {
    throw new OcspFetchError(
      file,
      url,
      `response body of ${length} bytes exceeds the ${maxBytes}-byte cap`,
    );
  }
  if (!response.body) return new Uint8Array();
  // One buffer, sized by a plausible Content-Length, grown at most up to the
  // cap: no list of chunks to join (a reader loop with chunks left ~23 KiB
  // of garbage per fetch).
  let buffer = new Uint8Array(
    Number.isFinite(length) && length >= 0 ? length : Math.min(maxBytes, 16_384),
  );
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.length > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new OcspFetchError(file, url, `response body exceeds the ${maxBytes}-byte cap`);
    }
    if (total + value.length > buffer.length) {
      const grown = new Uint8Array(
        Math.min(maxBytes, Math.max(buffer.length * 2, total + value.length)),
      );
      grown.set(buffer.subarray(0, total));
      buffer = grown;
    }
    buffer.set(value, total);
    total += value.length;
  }
  return total === buffer.length ? buffer : buffer.slice(0, total);
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * Sends `request` to the responder at `url` and returns the raw response body.
 * The body is not validated here (see `validateOcspResponse`).
 *
 * @param url The responder URL (http or https).
 * @param request The DER OCSP request.
 * @param options Timeout, cap, redirects, signal, fetch.
 * @returns The response body bytes.
 * @throws {OcspFetchError} Network failure, timeout, redirect trouble, non-200 status, wrong content type, a Content-Encoding, oversized body.
 */
export async function fetchOcspResponse(
  url: string,
  request: Uint8Array,
  options: FetchOcspOptions = {},
): Promise<Uint8Array> {
  const {
    file = "",
    timeoutMs = DEFAULTS.timeout * 1000,
    maxBytes = 65_536,
    maxRedirects = 1,
    fetch: doFetch = fetch,
  } = options;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const getUrl = ocspGetUrl(url, request);
  let post = new TextEncoder().encode(getUrl).length > MAX_GET_LENGTH;
  let target = post ? url : getUrl;
  let redirects = 0;
  try {
    for (;;) {
      let parsed: URL;
      try {
        parsed = new URL(target);
      } catch {
        throw new OcspFetchError(file, url, `not a valid URL: ${target}`);
      }
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        throw new OcspFetchError(file, url, `unsupported URL scheme ${parsed.protocol}`);
      }
      const init: RequestInit = post
        ? {
          method: "POST",
          body: request as Uint8Array<ArrayBuffer>,
          headers: { "content-type": "application/ocsp-request", ...REQUEST_HEADERS },
        }
        : { method: "GET", headers: REQUEST_HEADERS };
      const response = await doFetch(target, { ...init, redirect: "manual", signal });
      if (isRedirect(response.status)) {
        await response.body?.cancel();
        const location = response.headers.get("location");
        if (redirects >= maxRedirects) {
          throw new OcspFetchError(file, url, `too many redirects (more than ${maxRedirects})`);
        }
        if (!location) {
          throw new OcspFetchError(
            file,
            url,
            `HTTP ${response.status} redirect without a Location`,
          );
        }
        // The Location is requested as given: a GET's request is in its URL
        // already; a POST is sent again with its body (except after 303).
        target = new URL(location, target).href;
        if (response.status === 303) post = false;
        redirects++;
        continue;
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new OcspFetchError(
          file,
          url,
          `HTTP ${response.status} ${response.statusText}`.trim(),
        );
      }
      const type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if (type !== "application/ocsp-response") {
        await response.body?.cancel();
        throw new OcspFetchError(
          file,
          url,
          `content type "${
            type || "(none)"
          }" is not application/ocsp-response (captive portal or error page?)`,
        );
      }
      try {
        checkEncoding(file, url, response);
        return await readCapped(file, url, response, maxBytes);
      } catch (err) {
        await response.body?.cancel().catch(() => {});
        throw err;
      }
    }
  } catch (err) {
    if (err instanceof OcspFetchError) throw err;
    if (timeout.aborted) {
      throw new OcspFetchError(file, url, `no complete answer within ${timeoutMs / 1000} s`, {
        cause: err,
      });
    }
    if (options.signal?.aborted) throw new OcspFetchError(file, url, "cancelled", { cause: err });
    let message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    const cause = err instanceof Error && err.cause instanceof Error
      ? err.cause.message.split("\n")[0].replace(/^error sending request for url \(.*?\): /, "")
      : "";
    if (cause && !message.includes(cause)) message += ` (${cause})`;
    throw new OcspFetchError(file, url, `cannot reach the responder: ${message}`, { cause: err });
  }
}
