/**
 * Renews one certificate's staple: reuses the staple on disk while it is
 * valid for long enough, else asks the certificate's OCSP responders in
 * order, validates the answer completely and writes it atomically. A
 * response that fails any check is never written, so a good staple on disk
 * is never replaced by a bad one, nor by one too large for HAProxy's CLI,
 * nor by an older one; and once a revocation was seen, no good answer
 * produced before it is stapled (the revoked response is recorded beside
 * the staple for that, also under `--good-only` and across restarts).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { CertBundle, CertCache } from "../certs/mod.ts";
import { describeError, OcspBadResponse, StapledError } from "../errors/mod.ts";
import { DEFAULTS } from "../config/defaults.ts";
import {
  certIdFor,
  encodeOcspRequest,
  fetchOcspResponse,
  makeNonce,
  type ValidatedResponse,
  validateOcspResponse,
  type ValidationContext,
} from "../ocsp/mod.ts";
import {
  fileFingerprint,
  FileStapleStore,
  MAX_STAPLE_BYTES,
  type StapleNaming,
  staplePathFor,
  type StapleStore,
  type StateStore,
} from "../staples/mod.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";
import { ResponderDownError, type ResponderPool } from "../ocsp/responders/mod.ts";
import { readRevocation, recordRevocation } from "./_revocation.ts";
import { identityOf, recalled, remember, type Remembering } from "./_remembered.ts";

const log = getLogger(["stapled", "renewer"]);

/** The staple files beside the certificates, when no store is given. */
const defaultStore = new FileStapleStore();

/** Options of {@linkcode renewStaple}. */
export interface RenewOptions {
  /** The clock. @default systemClock */
  clock?: Clock;
  /** Where staples and revocation records are kept. @default the files beside the certificates */
  store?: StapleStore;
  /** Reuse a staple valid for longer than this many seconds. @default DEFAULTS.minimumValidity */
  minimumValidity?: number;
  /** Reuse valid staples found on disk. @default true */
  recycle?: boolean;
  /** Write an empty staple instead of a revoked response. @default false */
  goodOnly?: boolean;
  /** Send a nonce and require it back. @default false */
  nonce?: boolean;
  /** HTTP timeout per request, ms. @default DEFAULTS.timeout * 1000 (as fetchOcspResponse) */
  timeoutMs?: number;
  /** Largest response accepted, bytes. @default 65536 */
  maxBytes?: number;
  /** Which OCSP URL to try first (the daemon rotates it on retries). @default 0 */
  firstUrl?: number;
  /** How staple files are named. @default "append" */
  naming?: StapleNaming;
  /**
   * The staple file, when the configuration names it (`ocsp <file>` on a
   * crt-store `load` line: `haproxyStapleFiles().staple`).
   * @default staplePathFor(bundle.path, naming)
   */
  staplePath?: string;
  /** Cache for responder certificates. */
  cache?: CertCache;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * The responders' pool (keep-alive, in-flight bound, circuit breaker,
   * proxy, overrides): requests go through it instead of a bare fetch. A
   * responder it knows is down fails at once, so the next OCSP URL is tried.
   */
  pool?: ResponderPool;
  /** Cancels the renewal (the certificate changed or the daemon stops). */
  signal?: AbortSignal;
  /**
   * Remembered validations: an unchanged staple of an unchanged bundle that
   * was good is reused without being parsed or verified again.
   */
  state?: StateStore;
  /**
   * The bundle file's fingerprint taken before it was read (what the state
   * records are matched by). @default a stat of the file now
   */
  bundleFingerprint?: string;
  /** Validates a response (tests count the calls). @default validateOcspResponse */
  validate?: typeof validateOcspResponse;
}

/** What a renewal did. */
export interface RenewResult {
  /**
   * `recycled`: the staple on disk was reused; `fetched`: a new one was
   * written; `recalled`: the staple on disk was reused from the state file
   * without the certificate file being read ({@linkcode recallStaple}).
   */
  action: "recycled" | "fetched" | "recalled";
  /** The staple's response (also for a revoked one written empty under --good-only). */
  response: ValidatedResponse;
  /** The staple file. */
  staplePath: string;
  /**
   * The bytes now in the staple file (empty under --good-only for revoked;
   * for `recalled`, empty unless they were read to be pushed).
   */
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
  store: StapleStore,
  r: Remembering | undefined,
  validate: typeof validateOcspResponse,
): Promise<ValidatedResponse | undefined> {
  const read = await store.read(path);
  if (read.state !== "read" || read.bytes.length === 0) r?.state.delete(r.certPath);
  if (read.state === "unusable") {
    log.warn("cannot use existing staple {staple}: {reason}", {
      cert: bundle.path,
      staple: path,
      reason: read.reason,
    });
    return undefined;
  }
  if (read.state === "missing" || read.bytes.length === 0) return undefined;
  const known = recalled(r, read.fingerprint, read.bytes, ctx.now.getTime());
  if (known) return known;
  try {
    const res = await validate(read.bytes, ctx);
    remember(r, read.fingerprint, res);
    return res;
  } catch (err) {
    r?.state.delete(r.certPath);
    log.info("existing staple not usable: {reason}", {
      cert: bundle.path,
      reason: err instanceof StapledError ? err.reason : describeError(err),
    });
    return undefined;
  }
}

/**
 * A response larger than HAProxy's CLI accepts is refused: it would reset
 * the connection and starve every other staple on that socket. The `certs`
 * field is not signed, so anyone on the path can pad a genuine response.
 */
function checkSize(bundle: CertBundle, fresh: ValidatedResponse): void {
  if (fresh.der.length <= MAX_STAPLE_BYTES) return;
  throw new OcspBadResponse(
    bundle.path,
    "size",
    `the response is ${fresh.der.length} bytes, more than the ${MAX_STAPLE_BYTES} bytes HAProxy's runtime API accepts (its unsigned certs field may have been padded); keeping the current staple`,
  );
}

/**
 * A staple is never replaced by a response with an older thisUpdate,
 * whatever the statuses (a stale copy at the CA's CDN).
 */
function checkNotOlder(
  bundle: CertBundle,
  fresh: ValidatedResponse,
  onDisk: ValidatedResponse | undefined,
): void {
  if (!onDisk || fresh.thisUpdate.getTime() >= onDisk.thisUpdate.getTime()) return;
  throw new OcspBadResponse(
    bundle.path,
    "not-older",
    `the answer (${fresh.status}, thisUpdate ${fresh.thisUpdate.toISOString()}) is older than the staple on disk (${onDisk.status}, thisUpdate ${onDisk.thisUpdate.toISOString()}); keeping that`,
  );
}

/**
 * Once a revocation was seen, no good answer produced before it (or at the
 * same time) is stapled. A good answer produced after it is: a CA may lift
 * a certificateHold.
 */
function checkNotBeforeRevocation(
  bundle: CertBundle,
  fresh: ValidatedResponse,
  revoked: ValidatedResponse | undefined,
  goodOnly: boolean,
): void {
  if (fresh.status !== "good" || !revoked) return;
  if (fresh.thisUpdate.getTime() > revoked.thisUpdate.getTime()) return;
  throw new OcspBadResponse(
    bundle.path,
    "not-older",
    `the answer says good as of ${fresh.thisUpdate.toISOString()}, but the responder said revoked as of ${revoked.thisUpdate.toISOString()}; a good answer from before a revocation is never stapled, keeping the ${
      goodOnly ? "empty" : "current"
    } staple`,
  );
}

/** The newer (by thisUpdate) of two revoked responses. */
function newest(
  a: ValidatedResponse | undefined,
  b: ValidatedResponse | undefined,
): ValidatedResponse | undefined {
  if (!a || !b) return a ?? b;
  return b.thisUpdate.getTime() > a.thisUpdate.getTime() ? b : a;
}

/** Whether the down error `err` should replace `last` as the one thrown. */
function soonerDown(err: ResponderDownError, last: unknown): boolean {
  return last instanceof ResponderDownError && err.retryAt < last.retryAt;
}

/**
 * Makes sure `bundle` has a valid staple on disk.
 *
 * @param bundle The parsed certificate bundle.
 * @param options Policy, clock and HTTP settings.
 * @returns What was done, with the staple's response (status `good` or `revoked`).
 * @throws {StapledError} OcspFetchError, OcspResponderError or OcspBadResponse from the last URL tried when every URL failed (a ResponderDownError only when every URL's responder is down: the one probed soonest); StapleWriteError when writing failed.
 *
 * @example Staple a certificate, then reuse the staple
 * ```ts
 * import { renewStaple } from "./renew.ts";
 * import { hasOcsp, readBundle } from "../certs/mod.ts";
 * import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
 * import {
 *   buildOcspResponse,
 *   ocspHttpResponse,
 *   parseHttpOcspRequest,
 * } from "../../scripts/lib/ocsp_responder.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const ca = await (await TestCa.root("Example Root")).intermediate("Example CA");
 * const leaf = await ca.leaf("www.example.test", { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
 * await writeBundle(`${dir}/site.pem`, leaf, [ca]);
 * const bundle = await readBundle(`${dir}/site.pem`);
 * // The CA's responder, reached through `fetch`: "good" for a day.
 * const fetch: typeof globalThis.fetch = async (input, init) => {
 *   const request = await parseHttpOcspRequest(new Request(input as string, init));
 *   const now = Math.floor(Date.now() / 1000) * 1000;
 *   return ocspHttpResponse(
 *     await buildOcspResponse({
 *       signer: ca,
 *       producedAt: new Date(now),
 *       singles: [{
 *         certId: request!.certIds[0],
 *         status: "good",
 *         thisUpdate: new Date(now - 60_000),
 *         nextUpdate: new Date(now + 86_400_000),
 *       }],
 *     }),
 *   );
 * };
 * if (hasOcsp(bundle)) {
 *   const first = await renewStaple(bundle, { fetch });
 *   console.assert(first.action === "fetched" && first.response.status === "good");
 *   const again = await renewStaple(bundle, { fetch, minimumValidity: 3600 });
 *   console.assert(again.action === "recycled"); // valid for long enough: no request
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function renewStaple(
  bundle: CertBundle,
  options: RenewOptions = {},
): Promise<RenewResult> {
  const {
    clock = systemClock,
    store = defaultStore,
    minimumValidity = DEFAULTS.minimumValidity,
    goodOnly = DEFAULTS.goodOnly,
    naming = "append",
  } = options;
  const staplePath = options.staplePath ?? staplePathFor(bundle.path, naming);
  const certId = await certIdFor(bundle.issuer, bundle.leaf.serial);
  const context = (nonce?: Uint8Array): ValidationContext => ({
    file: bundle.path,
    certId,
    issuer: bundle.issuer,
    now: new Date(clock.now()),
    nonce,
    certNotAfter: bundle.leaf.notAfter,
    cache: options.cache,
  });

  const remembering: Remembering | undefined = options.state && {
    state: options.state,
    certPath: bundle.path,
    bundle: options.bundleFingerprint ?? fileFingerprint(bundle.path),
    key: identityOf(bundle, certId),
  };
  const validate = options.validate ?? validateOcspResponse;
  const onDisk = await stapleOnDisk(bundle, staplePath, context(), store, remembering, validate);
  let recorded: Promise<ValidatedResponse | undefined> | undefined;
  const revocation = () => recorded ??= readRevocation(bundle, staplePath, context(), store);

  if (onDisk && (options.recycle ?? DEFAULTS.recycle)) {
    const left = (onDisk.expiresAt.getTime() - clock.now()) / 1000;
    let existing = left > minimumValidity ? onDisk : undefined;
    if (!existing) {
      log.debug("existing staple valid for {left} s only; renewing", {
        cert: bundle.path,
        left: Math.round(left),
      });
    }
    // A good staple from before a recorded revocation (the staple write after
    // the record failed, or an old staple put back) is never reused.
    const record = existing?.status === "good" ? await revocation() : undefined;
    if (existing && record && record.thisUpdate.getTime() >= existing.thisUpdate.getTime()) {
      log.warn("existing good staple predates a recorded revocation; renewing", {
        cert: bundle.path,
      });
      existing = undefined;
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
      const request = encodeOcspRequest(certId, { nonce });
      const body = options.pool
        ? await options.pool.fetchOcspResponse(url, request, {
          file: bundle.path,
          timeoutMs: options.timeoutMs,
          maxBytes: options.maxBytes,
          signal: options.signal,
        })
        : await fetchOcspResponse(url, request, {
          file: bundle.path,
          timeoutMs: options.timeoutMs,
          maxBytes: options.maxBytes,
          fetch: options.fetch,
          signal: options.signal,
        });
      const response = await validate(body, context(nonce));
      checkSize(bundle, response);
      checkNotOlder(bundle, response, onDisk);
      const record = await revocation();
      const revoked = newest(record, onDisk?.status === "revoked" ? onDisk : undefined);
      checkNotBeforeRevocation(bundle, response, revoked, goodOnly);
      const written = response.status === "revoked" && goodOnly ? new Uint8Array() : response.der;
      options.signal?.throwIfAborted();
      if (response.status === "revoked") {
        // The good staple remembered is forgotten first, so a staple write
        // failing below cannot leave it to be recalled.
        options.state?.delete(bundle.path);
        // Before the staple: under --good-only the record is all that says "revoked".
        await recordRevocation(store, staplePath, response, record).catch((err) =>
          log.error("cannot record the revocation: {reason}", {
            cert: bundle.path,
            reason: err instanceof StapledError ? err.message : describeError(err),
          })
        );
      }
      await store.write(staplePath, written);
      if (remembering) {
        remember(
          remembering,
          written.length ? store.fingerprint?.(staplePath) : undefined,
          response,
        );
      }
      return { action: "fetched", response, staplePath, written, url };
    } catch (err) {
      if (options.signal?.aborted) throw err;
      if (err instanceof StapledError && err.kind === "StapleWriteError") throw err;
      // A responder known to be down is no answer: the error thrown is a
      // down one only when every URL was down (the soonest probe first).
      const down = err instanceof ResponderDownError;
      if (!down || lastError === undefined || soonerDown(err, lastError)) lastError = err;
      if (down) {
        log.debug("{reason}; trying the next OCSP URL", { cert: bundle.path, reason: err.reason });
      } else if (i < urls.length - 1) {
        log.warn("{reason}; trying the next OCSP URL", {
          cert: bundle.path,
          reason: err instanceof StapledError ? err.reason : describeError(err),
        });
      }
    }
  }
  throw lastError;
}
