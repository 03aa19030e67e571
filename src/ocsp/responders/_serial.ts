/**
 * Serial responder detection. OpenSSL's `openssl ocsp -port` answers in
 * HTTP/1.0 and closes each connection, so the pool never keeps one of its
 * connections. A responder that keeps an idle HTTP/1.1 connection open
 * while serving only one connection at a time stalls the others: when a
 * pooled request times out on its first attempt while another one to the
 * same responder was answered meanwhile, the responder is marked `serial`
 * (one request at a time, each with `Connection: close`) and the request is
 * sent again once.
 *
 * @module
 */
import type { ResponderFetchError } from "./errors.ts";
import type { Entry } from "./_entry.ts";
import type { ResponderEvent } from "./pool.ts";

/** What the failed attempt looked like. */
export interface AttemptFacts {
  /** 0 for the first attempt. */
  attempt: number;
  /** Whether it went over a kept-alive connection shared with others. */
  pooled: boolean;
  /** The entry's success count when the attempt started. */
  successesBefore: number;
}

/**
 * Whether a failed attempt shows the responder serves one connection at a
 * time; if so the entry is marked serial (once, with a `serial` event) and
 * the request should be sent again.
 *
 * @param entry The responder's state.
 * @param err The attempt's failure.
 * @param facts The attempt.
 * @param onEvent The pool's event listener.
 * @returns Whether to send the request again.
 */
export function detectSerial(
  entry: Entry,
  err: ResponderFetchError,
  facts: AttemptFacts,
  onEvent: (event: ResponderEvent) => void,
): boolean {
  if (
    err.failure !== "timeout" || facts.attempt !== 0 || !facts.pooled ||
    entry.successes <= facts.successesBefore
  ) {
    return false;
  }
  // Answered others meanwhile but not this one: it serves one
  // connection at a time and ours waited behind a kept-alive one.
  if (!entry.serial) {
    entry.serial = true;
    entry.limiter.limit = 1;
    onEvent({ type: "serial", responder: entry.key.id });
  }
  return true;
}
