/**
 * Fetches an OCSP response over HTTP (RFC 6960 Appendix A, RFC 5019 §5):
 * GET when the URL plus the URL-encoded base64 request fits in 255 bytes,
 * else POST `application/ocsp-request`; one timeout covering connect and
 * body; `Accept-Encoding: identity`, a Content-Encoding refused and the
 * delivered bytes counted against the cap while reading; at most one
 * redirect; status 200 and `application/ocsp-response` required. Unless
 * `keepAlive` is set (the {@linkcode ResponderPool} sets it, with a client of
 * its own per responder), each request uses its own connection
 * (`Connection: close`). Every failure is a {@linkcode ResponderFetchError}
 * (still kind `OcspFetchError`) saying how it failed, with the HTTP status and
 * a `Retry-After` (on 503 and 429) when there was an answer. The timeout runs
 * on the injected clock.
 *
 * @module
 */
import { encodeBase64 } from "../certs/pem.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";
import { type FetchFailure, ResponderFetchError } from "./responders/errors.ts";
import { parseRetryAfter } from "./responders/retry_after.ts";

/**
 * Headers of every request: no compression (Deno's fetch otherwise asks for
 * gzip and br and inflates the body, so a tiny body could become gigabytes),
 * and, unless kept alive, a connection of its own.
 */
const REQUEST_HEADERS: Readonly<Record<string, string>> = {
  "accept-encoding": "identity",
  connection: "close",
};

/** {@linkcode REQUEST_HEADERS} for a pooled connection. */
const KEEP_ALIVE_HEADERS: Readonly<Record<string, string>> = { "accept-encoding": "identity" };

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
  /** The HTTP client (connection pool, proxy) to send with. @default Deno's shared one */
  client?: Deno.HttpClient;
  /** Let the connection be reused (no `Connection: close`). @default false */
  keepAlive?: boolean;
  /** The clock the timeout runs on and a Retry-After date is read against. @default systemClock */
  clock?: Clock;
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

/** A body that was read whole, or why it was refused. */
export type BoundedBody = { bytes: Uint8Array; problem?: undefined } | { problem: string };

/**
 * Reads an HTTP body as stapled reads every body it fetches (OCSP responses,
 * caIssuers certificates): a Content-Encoding other than identity is refused
 * (stapled asks for identity and decodes nothing: a 1.6 KB brotli body
 * inflates to 1 GiB), and the bytes actually delivered are counted against
 * `maxBytes`, reading stops as soon as they exceed it. A Content-Length over
 * the cap is refused before reading; one within it only sizes the buffer.
 *
 * @param response The response, its body not yet read.
 * @param maxBytes The cap.
 * @returns The bytes, or the problem (`response ...`, one line).
 *
 * @example
 * ```ts
 * const ok = await readBoundedBody(new Response("abc"), 10);
 * console.assert(ok.problem === undefined && ok.bytes.length === 3);
 * const big = await readBoundedBody(new Response("x".repeat(11)), 10);
 * console.assert(big.problem === "response body exceeds the 10-byte cap");
 * ```
 */
export async function readBoundedBody(
  response: Response,
  maxBytes: number,
): Promise<BoundedBody> {
  const encoding = response.headers.get("content-encoding");
  if (encoding !== null) {
    const codings = encoding.split(",").map((c) => c.trim().toLowerCase()).filter((c) => c !== "");
    if (!codings.every((c) => c === "identity")) {
      await response.body?.cancel().catch(() => {});
      return {
        problem:
          `response has Content-Encoding "${encoding.trim()}"; stapled asks for identity and decodes no compressed body`,
      };
    }
  }
  const header = response.headers.get("content-length");
  const length = header === null ? NaN : Number(header);
  if (Number.isFinite(length) && length > maxBytes) {
    await response.body?.cancel().catch(() => {});
    return { problem: `response body of ${length} bytes exceeds the ${maxBytes}-byte cap` };
  }
  if (!response.body) return { bytes: new Uint8Array() };
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
      return { problem: `response body exceeds the ${maxBytes}-byte cap` };
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
  return { bytes: total === buffer.length ? buffer : buffer.slice(0, total) };
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
 * @param options Timeout, cap, redirects, signal, fetch, client, keep-alive, clock.
 * @returns The response body bytes.
 * @throws {ResponderFetchError} (an `OcspFetchError`) Network failure, timeout, redirect trouble, non-200 status, wrong content type, a Content-Encoding, oversized body.
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
    client,
    keepAlive = false,
    clock = systemClock,
  } = options;
  const fail = (failure: FetchFailure, reason: string, extra: ErrorOptions & {
    status?: number;
    retryAfterMs?: number;
  } = {}) => new ResponderFetchError(file, url, failure, reason, extra);
  const timeout = new AbortController();
  const timer = clock.setTimeout(
    () => timeout.abort(new DOMException("OCSP request timed out", "TimeoutError")),
    timeoutMs,
  );
  const signal = options.signal
    ? AbortSignal.any([timeout.signal, options.signal])
    : timeout.signal;
  const headers = keepAlive ? KEEP_ALIVE_HEADERS : REQUEST_HEADERS;
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
        throw fail("url", `not a valid URL: ${target}`);
      }
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        throw fail("url", `unsupported URL scheme ${parsed.protocol}`);
      }
      const init: RequestInit = post
        ? {
          method: "POST",
          body: request as Uint8Array<ArrayBuffer>,
          headers: { "content-type": "application/ocsp-request", ...headers },
        }
        : { method: "GET", headers };
      const response = await doFetch(target, {
        ...init,
        redirect: "manual",
        signal,
        ...(client ? { client } : {}),
      });
      if (isRedirect(response.status)) {
        await response.body?.cancel();
        const location = response.headers.get("location");
        if (redirects >= maxRedirects) {
          throw fail("redirect", `too many redirects (more than ${maxRedirects})`);
        }
        if (!location) {
          throw fail("redirect", `HTTP ${response.status} redirect without a Location`);
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
        const retryAfterMs = response.status === 503 || response.status === 429
          ? parseRetryAfter(response.headers.get("retry-after"), clock.now())
          : undefined;
        throw fail(
          "status",
          `HTTP ${response.status} ${response.statusText}`.trim() +
            (retryAfterMs === undefined
              ? ""
              : ` (Retry-After ${Math.ceil(retryAfterMs / 1000)} s)`),
          { status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
        );
      }
      const type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if (type !== "application/ocsp-response") {
        await response.body?.cancel();
        throw fail(
          "content",
          `content type "${
            type || "(none)"
          }" is not application/ocsp-response (captive portal or error page?)`,
        );
      }
      let read: BoundedBody;
      try {
        read = await readBoundedBody(response, maxBytes);
      } catch (err) {
        await response.body?.cancel().catch(() => {});
        throw err;
      }
      if (read.problem !== undefined) throw fail("content", read.problem);
      return read.bytes;
    }
  } catch (err) {
    if (err instanceof ResponderFetchError) throw err;
    if (timeout.signal.aborted) {
      throw fail("timeout", `no complete answer within ${timeoutMs / 1000} s`, { cause: err });
    }
    if (options.signal?.aborted) throw fail("cancelled", "cancelled", { cause: err });
    let message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    const cause = err instanceof Error && err.cause instanceof Error
      ? err.cause.message.split("\n")[0].replace(/^error sending request for url \(.*?\): /, "")
      : "";
    if (cause && !message.includes(cause)) message += ` (${cause})`;
    throw fail("unreachable", `cannot reach the responder: ${message}`, { cause: err });
  } finally {
    clock.clearTimeout(timer);
  }
}
