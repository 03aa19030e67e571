/**
 * Renews one certificate's staple: reuses the staple on disk while it is
 * valid for long enough, else asks the certificate's OCSP responders in
 * order, validates the answer completely and writes it atomically. A
 * response that fails any check is never written, so a good staple on disk
 * is never replaced by a bad one.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { CertBundle, CertCache } from "../certs/mod.ts";
import { describeError, OcspBadResponse, StapledError } from "../errors/mod.ts";
import {
  certIdFor,
  encodeOcspRequest,
  fetchOcspResponse,
  makeNonce,
  type ValidatedResponse,
  validateOcspResponse,
  type ValidationContext,
} from "../ocsp/mod.ts";
import { readStaple, type StapleNaming, staplePathFor, writeStapleAtomic } from "../staples/mod.ts";

const log = getLogger(["stapled", "renewer"]);

/** Options of {@linkcode renewStaple}. */
export interface RenewOptions {
  /** The clock. @default () => new Date() */
  now?: () => Date;
  /** Reuse a staple valid for longer than this many seconds. @default 7200 */
  minimumValidity?: number;
  /** Reuse valid staples found on disk. @default true */
  recycle?: boolean;
  /** Write an empty staple instead of a revoked response. @default false */
  goodOnly?: boolean;
  /** Send a nonce and require it back. @default false */
  nonce?: boolean;
  /** HTTP timeout per request, ms. @default 10000 */
  timeoutMs?: number;
  /** Largest response accepted, bytes. @default 65536 */
  maxBytes?: number;
  /** Which OCSP URL to try first (the daemon rotates it on retries). @default 0 */
  firstUrl?: number;
  /** How staple files are named. @default "append" */
  naming?: StapleNaming;
  /** Cache for responder certificates. */
  cache?: CertCache;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Cancels the renewal (the certificate changed or the daemon stops). */
  signal?: AbortSignal;
}

/** What a renewal did. */
export interface RenewResult {
  /** `recycled`: the staple on disk was reused; `fetched`: a new one was written. */
  action: "recycled" | "fetched";
  /** The staple's response (also for a revoked one written empty under --good-only). */
  response: ValidatedResponse;
  /** The staple file. */
  staplePath: string;
  /** The bytes now in the staple file (empty under --good-only for revoked). */
  written: Uint8Array;
  /** The URL that answered, for `fetched`. */
  url?: string;
}

/**
 * The staple already on disk, when it is valid for this certificate now.
 */
async function stapleOnDisk(
  bundle: CertBundle,
  path: string,
  ctx: ValidationContext,
): Promise<ValidatedResponse | undefined> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readStaple(path);
  } catch (err) {
    log.warn("cannot read existing staple {staple}: {reason}", {
      cert: bundle.path,
      staple: path,
      reason: (err as Error).message,
    });
    return undefined;
  }
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return await validateOcspResponse(bytes, ctx);
  } catch (err) {
    log.info("existing staple not usable: {reason}", {
      cert: bundle.path,
      reason: err instanceof StapledError ? err.reason : describeError(err),
    });
    return undefined;
  }
}

/**
 * A fresh good answer that expires before the good staple on disk (a stale
 * cache at the CA's CDN) does not replace it.
 */
function checkNotOlder(
  bundle: CertBundle,
  fresh: ValidatedResponse,
  onDisk: ValidatedResponse | undefined,
): void {
  if (fresh.status !== "good" || onDisk?.status !== "good") return;
  if (fresh.nextUpdate.getTime() >= onDisk.nextUpdate.getTime()) return;
  throw new OcspBadResponse(
    bundle.path,
    "not-older",
    `the answer expires at ${fresh.nextUpdate.toISOString()}, before the staple on disk (${onDisk.nextUpdate.toISOString()}); keeping that`,
  );
}

/**
 * Makes sure `bundle` has a valid staple on disk.
 *
 * @param bundle The parsed certificate bundle.
 * @param options Policy, clock and HTTP settings.
 * @returns What was done, with the staple's response (status `good` or `revoked`).
 * @throws {StapledError} OcspFetchError, OcspResponderError or OcspBadResponse from the last URL tried when every URL failed; StapleWriteError when writing failed.
 */
export async function renewStaple(
  bundle: CertBundle,
  options: RenewOptions = {},
): Promise<RenewResult> {
  const {
    now = () => new Date(),
    minimumValidity = 7200,
    goodOnly = false,
    naming = "append",
  } = options;
  const staplePath = staplePathFor(bundle.path, naming);
  const certId = await certIdFor(bundle.issuer, bundle.leaf.serial);
  const context = (nonce?: Uint8Array): ValidationContext => ({
    file: bundle.path,
    certId,
    issuer: bundle.issuer,
    now: now(),
    nonce,
    certNotAfter: bundle.leaf.notAfter,
    cache: options.cache,
  });

  const onDisk = await stapleOnDisk(bundle, staplePath, context());
  if (onDisk && (options.recycle ?? true)) {
    const left = (onDisk.expiresAt.getTime() - now().getTime()) / 1000;
    const existing = left > minimumValidity ? onDisk : undefined;
    if (!existing) {
      log.debug("existing staple valid for {left} s only; renewing", {
        cert: bundle.path,
        left: Math.round(left),
      });
    }
    if (existing) {
      return { action: "recycled", response: existing, staplePath, written: existing.der };
    }
  }

  const urls = bundle.ocspUrls;
  const first = (options.firstUrl ?? 0) % urls.length;
  let lastError: unknown;
  for (let i = 0; i < urls.length; i++) {
    const url = urls[(first + i) % urls.length];
    const nonce = options.nonce ? makeNonce() : undefined;
    try {
      const body = await fetchOcspResponse(url, encodeOcspRequest(certId, { nonce }), {
        file: bundle.path,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        fetch: options.fetch,
        signal: options.signal,
      });
      const response = await validateOcspResponse(body, context(nonce));
      checkNotOlder(bundle, response, onDisk);
      const written = response.status === "revoked" && goodOnly ? new Uint8Array() : response.der;
      options.signal?.throwIfAborted();
      await writeStapleAtomic(staplePath, written);
      return { action: "fetched", response, staplePath, written, url };
    } catch (err) {
      if (options.signal?.aborted) throw err;
      if (err instanceof StapledError && err.kind === "StapleWriteError") throw err;
      lastError = err;
      if (i < urls.length - 1) {
        log.warn("{reason}; trying the next OCSP URL", {
          cert: bundle.path,
          reason: err instanceof StapledError ? err.reason : describeError(err),
        });
      }
    }
  }
  throw lastError;
}
