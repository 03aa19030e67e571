/**
 * Request execution in the {@linkcode ResponderPool}: one request to one
 * responder, waiting for a probe in flight, admitted by the breaker, within
 * the responder's in-flight bound, sent once more when it turns out
 * serial, with the outcome counted on the breaker and errors naming the
 * certificate's URL. An answer is returned one turn of the event loop after
 * its slot is released, so the next request is sent before the caller
 * validates this one.
 *
 * @module
 */
import type { Clock } from "../../scheduler/clock.ts";
import { fetchOcspResponse as fetchOnce } from "../fetch.ts";
import { ResponderDownError, ResponderFetchError } from "./errors.ts";
import { type Entry, markFailed, markUp } from "./_entry.ts";
import { detectSerial } from "./_serial.ts";
import type { ResponderEvent } from "./pool.ts";

/** The pool's settings a request runs with. */
export interface RequestContext {
  clock: Clock;
  keepAlive: boolean;
  fetch: typeof fetch | undefined;
  onEvent: (event: ResponderEvent) => void;
  /** Whether the pool was closed. */
  closed(): boolean;
}

/** One request. */
export interface Request {
  /** The certificate's responder URL, named in errors. */
  url: string;
  /** Where it goes (after the overrides). */
  target: string;
  /** The DER OCSP request. */
  request: Uint8Array;
  file: string;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  maxBytes: number;
}

function waitOrAbort(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

/**
 * Sends one request to the responder of `entry`.
 *
 * @param entry The responder's state.
 * @param ctx The pool's settings.
 * @param req The request.
 * @returns The response body bytes.
 * @throws {ResponderDownError} The responder is down; not asked.
 * @throws {ResponderFetchError} As `fetchOcspResponse`, or `cancelled`.
 */
export async function executeRequest(
  entry: Entry,
  ctx: RequestContext,
  req: Request,
): Promise<Uint8Array> {
  const { url, target, request, file, signal, timeoutMs, maxBytes } = req;
  const cancelled = (err: unknown) =>
    new ResponderFetchError(file, url, "cancelled", "cancelled", { cause: err });
  for (let attempt = 0;; attempt++) {
    try {
      while (entry.breaker.state === "probing" && entry.probe) {
        await waitOrAbort(entry.probe, signal);
      }
    } catch (err) {
      throw cancelled(err);
    }
    const admission = entry.breaker.admit();
    if (admission === "down") {
      throw new ResponderDownError(
        file,
        url,
        entry.key.id,
        entry.breaker.retryAt ?? ctx.clock.now(),
        {
          cause: entry.lastError,
        },
      );
    }
    const probe = admission === "probe" ? Promise.withResolvers<void>() : undefined;
    if (probe) entry.probe = probe.promise;
    const endProbe = () => {
      if (!probe) return;
      if (entry.breaker.state === "probing") entry.breaker.neutral();
      entry.probe = undefined;
      probe.resolve();
    };
    try {
      await entry.limiter.acquire(signal);
    } catch (err) {
      endProbe();
      throw cancelled(err);
    }
    if (ctx.closed()) {
      entry.limiter.release();
      endProbe();
      throw new ResponderFetchError(file, url, "cancelled", "the responder pool is closed");
    }
    if (!probe && entry.breaker.state !== "up") {
      entry.limiter.release(); // it went down while this one waited
      continue;
    }
    const successesBefore = entry.successes;
    const pooled = ctx.keepAlive && !entry.serial && entry.limiter.limit > 1;
    let body: Uint8Array;
    try {
      body = await relabel(url, target, () =>
        fetchOnce(target, request, {
          file,
          timeoutMs,
          maxBytes,
          signal,
          client: entry.client,
          keepAlive: ctx.keepAlive && !entry.serial,
          clock: ctx.clock,
          ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
        }));
      entry.successes++;
      markUp(entry, ctx.clock, ctx.onEvent);
    } catch (err) {
      if (!(err instanceof ResponderFetchError)) throw err;
      if (detectSerial(entry, err, { attempt, pooled, successesBefore }, ctx.onEvent)) continue;
      if (err.countsTowardDown) {
        if (probe || entry.breaker.state !== "probing") {
          markFailed(entry, err, !!probe, ctx.onEvent);
        }
      } else if (err.answered) {
        markUp(entry, ctx.clock, ctx.onEvent);
      }
      throw err;
    } finally {
      entry.limiter.release();
      endProbe();
    }
    await yieldToEventLoop();
    return body;
  }
}

/**
 * Two turns of the event loop. The slot just released went to the next
 * request waiting for this responder, if any: by the first turn it has
 * called fetch (its promise chain ran), by the second its request is on the
 * wire. Without them the caller's next step (validating and writing this
 * answer, a few ms on the one JS thread) delays that request by as much:
 * measured at -t 2 against a responder 50 ms away, the next request on a
 * connection left about 5 ms after the answer instead of under 2 ms.
 */
async function yieldToEventLoop(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Runs a fetch of `target`, naming `url` (the certificate's) in its errors.
 *
 * @param url The certificate's responder URL.
 * @param target Where the request went.
 * @param run The fetch.
 * @returns What it returns.
 */
export async function relabel<T>(url: string, target: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (target === url || !(err instanceof ResponderFetchError)) throw err;
    const reason = err.reason.startsWith(`${target}: `)
      ? err.reason.slice(target.length + 2)
      : err.reason;
    throw new ResponderFetchError(err.file, url, err.failure, `${reason} (sent to ${target})`, {
      cause: err.cause,
      ...(err.status !== undefined ? { status: err.status } : {}),
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    });
  }
}
