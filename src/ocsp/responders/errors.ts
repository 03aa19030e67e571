/**
 * The errors of an OCSP HTTP exchange, with what the scheduler and the
 * circuit breaker need: which kind of failure it was, the HTTP status, a
 * `Retry-After` and, for a responder marked down, when it is probed again.
 * Both are still {@linkcode OcspFetchError}s (kind `OcspFetchError`), so code
 * switching on the kind keeps working.
 *
 * @module
 */
import { OcspFetchError } from "../../errors/mod.ts";

/**
 * What went wrong in one exchange:
 * - `unreachable`: refused, reset, DNS, TLS, closed early (counts toward down);
 * - `timeout`: no complete answer within the timeout (counts toward down);
 * - `status`: an HTTP status other than 200 (5xx counts toward down);
 * - `content`: a wrong content type, a Content-Encoding, an oversized body;
 * - `redirect`: too many redirects or one without a Location;
 * - `url`: not an http(s) URL;
 * - `cancelled`: the caller's signal aborted;
 * - `disabled`: an override sends this responder nowhere;
 * - `down`: the responder is marked down and was not asked.
 */
export type FetchFailure =
  | "unreachable"
  | "timeout"
  | "status"
  | "content"
  | "redirect"
  | "url"
  | "cancelled"
  | "disabled"
  | "down";

/** Extra fields of a {@linkcode ResponderFetchError}. */
export interface ResponderFetchErrorOptions extends ErrorOptions {
  /** The HTTP status, for `status`. */
  status?: number;
  /** The `Retry-After` of the answer, ms from when it arrived. */
  retryAfterMs?: number;
}

/**
 * An OCSP HTTP exchange failed. `failure` says how; `countsTowardDown` says
 * whether the circuit breaker counts it (connection failures, timeouts, 5xx).
 *
 * @example Branching on the failure
 * ```ts
 * import { ResponderFetchError } from "./errors.ts";
 *
 * const err = new ResponderFetchError("site.pem", "http://ocsp.test/", "timeout", "no complete answer within 10 s");
 * console.assert(err.kind === "OcspFetchError" && err.countsTowardDown);
 * ```
 */
export class ResponderFetchError extends OcspFetchError {
  /** How the exchange failed. */
  readonly failure: FetchFailure;
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** How long the responder asked us to wait (`Retry-After`), ms. */
  readonly retryAfterMs?: number;
  /** Whether the responder was marked down and not asked. */
  readonly down: boolean = false;

  /**
   * @param file The certificate file.
   * @param url The responder URL.
   * @param failure How it failed.
   * @param reason One line saying why.
   * @param options The status, a Retry-After, the `cause`.
   */
  constructor(
    file: string,
    url: string,
    failure: FetchFailure,
    reason: string,
    options: ResponderFetchErrorOptions = {},
  ) {
    super(file, url, reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.failure = failure;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** Whether the circuit breaker counts this failure: unreachable, timeout, 5xx. */
  get countsTowardDown(): boolean {
    return this.failure === "unreachable" || this.failure === "timeout" ||
      (this.failure === "status" && this.status !== undefined && this.status >= 500);
  }

  /** Whether the responder answered in HTTP (so it is up, if misconfigured). */
  get answered(): boolean {
    return this.failure === "content" || this.failure === "redirect" ||
      (this.failure === "status" && !this.countsTowardDown);
  }
}

/**
 * The responder is marked down (several consecutive connection failures,
 * timeouts or 5xx answers): the request was not sent. `retryAt` is when the
 * next probe may go out; the scheduler should retry the certificate then
 * (or later), not sooner. Its staple stays where it is.
 *
 * @example Scheduling the retry
 * ```ts
 * import { ResponderDownError } from "./errors.ts";
 *
 * const err = new ResponderDownError("site.pem", "http://ocsp.test/", "http://ocsp.test:80", Date.now() + 60_000);
 * console.assert(err.down && err.failure === "down" && err.retryAt > Date.now());
 * ```
 */
export class ResponderDownError extends ResponderFetchError {
  /** Always true. */
  override readonly down: boolean = true;
  /** The responder (scheme://host:port) that is down. */
  readonly responder: string;
  /** When the next probe may be sent, ms since the epoch. */
  readonly retryAt: number;

  /**
   * @param file The certificate file.
   * @param url The responder URL asked for.
   * @param responder The responder key's id (scheme://host:port).
   * @param retryAt When the next probe may be sent, ms since the epoch.
   * @param options The `cause` (the failure that marked it down).
   */
  constructor(
    file: string,
    url: string,
    responder: string,
    retryAt: number,
    options: ErrorOptions = {},
  ) {
    super(
      file,
      url,
      "down",
      `responder down (${responder} failed repeatedly); not asked until a probe at ${
        new Date(retryAt).toISOString()
      } succeeds`,
      options,
    );
    this.responder = responder;
    this.retryAt = retryAt;
  }
}
