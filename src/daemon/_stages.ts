/**
 * The engine's per-certificate stages, parse and renew, as handlers that
 * return what became of the certificate and its next run (a step). They
 * decide nothing about scheduling: the engine schedules the step in daemon
 * mode, or settles the certificate in one-off and check modes.
 *
 * @module
 */
import { type CertBundle, type CertCache, hasOcsp, type NoOcspBundle } from "../certs/mod.ts";
import { StapledError } from "../errors/mod.ts";
import { getLogger } from "@logtape/logtape";
import { haproxyStapleFiles } from "../haproxy/config/mod.ts";
import { rememberBundle, type RenewResult, renewStaple, verifiedIssuer } from "../renewer/mod.ts";
import type { Clock, Task } from "../scheduler/mod.ts";
import type { BundleRecord, StapleStore, StateStore } from "../staples/mod.ts";
import { readBundleWithIssuer } from "./_issuer.ts";
import { recallCert } from "./_recall.ts";
import { stapledStep } from "./_stapled.ts";
import { bundleFacts, type LeafFacts } from "./_health_feed.ts";
import { formatDelay } from "./_report.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { downRetryAt, fileRetryDelay, renewalRetry, renewalRetryDelay } from "./policy.ts";
import {
  ResponderDownError,
  ResponderFetchError,
  type ResponderPool,
} from "../ocsp/responders/mod.ts";
import type {
  CertOutcome,
  CertSource,
  DaemonSettings,
  DaemonStats,
  EngineMode,
  IssuerFetch,
  StapleSink,
} from "./types.ts";

const log = getLogger(["stapled", "daemon"]);

/** The engine's queues. */
export type Queue = "scan" | "parse" | "renew";

/** What the engine keeps per certificate: small on purpose. */
export interface CertEntry {
  path: string;
  /**
   * The sources (indexes) that list this file; its staple goes to all their
   * sockets. Shared by every entry listed by the same sources: replaced, never changed.
   */
  sources: ReadonlySet<number>;
  bundle?: CertBundle;
  fileFailures: number;
  renewFailures: number;
  urlIndex: number;
  lastFetchAt?: number;
  /** The effective expiry of the staple on disk, when known. */
  validUntil?: number;
  /** The next renewal may reuse the staple on disk (first renewal after a parse). */
  recycle: boolean;
  /** The issuer file to push with, when it is not `<crt>.issuer` (named, or in issuers-chain-path). */
  issuerFile?: string;
  /** The issuer was fetched from the caIssuers URL when the file was last read. */
  issuerFetch?: IssuerFetch;
  /** The renewal queue (its responder's) its pending renewal is in. */
  renewQueue?: string;
  /** The certificate file's fingerprint when it was last read (the state file's records). */
  fingerprint?: string;
  /** The fingerprint the scan that found the file saw, until the parse right after it. */
  scanned?: string;
}

/** What a stage decided: what became of the certificate, and its next run. */
export interface Step<Socket = unknown> {
  /** What became of the certificate, when something did. */
  outcome?: CertOutcome<Socket>;
  /** The next run: a queue, now, after `delay` ms or `at` a time. */
  next?: { queue: Queue; delay?: number; at?: number };
  /** For the daemon's log: what happens next, in words (`retry 2 in 2 min`). */
  note?: string;
  /** Failed attempts before this success. */
  recovered?: number;
  /** The stage logged it already. */
  logged?: boolean;
}

/** The settings with their defaults. */
export type Settings = Required<Omit<DaemonSettings, "logdir" | "stateDir">> & {
  logdir?: string;
};

/** The settings with their defaults (DEFAULTS). */
export function settingsOf(o: DaemonSettings): Settings {
  return {
    refreshInterval: o.refreshInterval ?? DEFAULTS.refreshInterval,
    renewalThreads: o.renewalThreads ?? DEFAULTS.renewalThreads,
    minimumValidity: o.minimumValidity ?? DEFAULTS.minimumValidity,
    recycle: o.recycle ?? DEFAULTS.recycle,
    goodOnly: o.goodOnly ?? DEFAULTS.goodOnly,
    nonce: o.nonce ?? DEFAULTS.nonce,
    timeout: o.timeout ?? DEFAULTS.timeout,
    watch: o.watch ?? DEFAULTS.watch,
    fetchIssuer: o.fetchIssuer ?? DEFAULTS.fetchIssuer,
    ocspProxy: o.ocspProxy ?? "",
    ocspResponderOverride: o.ocspResponderOverride ?? [],
    logdir: o.logdir,
  };
}

/** What the stages get from the engine. */
export interface StageContext<Socket> {
  mode: EngineMode;
  settings: Settings;
  clock: Clock;
  store: StapleStore;
  /** Remembered validations, when there is a state store. */
  state?: StateStore;
  cache: CertCache;
  fetch?: typeof fetch;
  /** The responders (keep-alive, in-flight bound, breaker) renewals fetch through. */
  pool?: ResponderPool;
  random: () => number;
  sink?: StapleSink<Socket>;
  stats: DaemonStats;
  sourceOf(entry: CertEntry): CertSource<Socket>;
  outcome(
    entry: CertEntry,
    status: CertOutcome["status"],
    more: Partial<CertOutcome>,
  ): CertOutcome<Socket>;
  push(entry: CertEntry, der: Uint8Array): void;
  /** Whether {@linkcode push} sends this certificate's staple anywhere (a sink, sockets for it). */
  pushes(entry: CertEntry): boolean;
  changed(path: string): void;
  /** Daemon: every responder of `entry` is down; it waits for their probes (re-queued on `up`). */
  waitForResponders?(entry: CertEntry): void;
  /** Daemon: a file was read (health: its leaf facts and CertID key). */
  parsed?(entry: CertEntry, bundle: CertBundle | NoOcspBundle, facts: LeafFacts): void;
  /** A certificate file was read in full (the native memory it leaves is collected now and then). */
  readFull?(): void;
  /** A certificate was recalled from the state file, unread (its garbage is collected now and then). */
  recalledUnread?(): void;
  /** A new staple was fetched, validated and written (its garbage is collected now and then). */
  fetched?(): void;
  /** Daemon: a file was recalled from the state file (health: its remembered facts). */
  recalled?(entry: CertEntry, bundle: BundleRecord): void;
}

/**
 * Parses a certificate file: on to renewal, or a failure with its retry.
 *
 * @param ctx The engine's state.
 * @param task The parse task.
 * @param entry The certificate.
 * @returns The step.
 */
export async function parseCert<Socket>(
  ctx: StageContext<Socket>,
  task: Task<null>,
  entry: CertEntry,
): Promise<Step<Socket> | undefined> {
  // What the scan that found the file saw: no second stat right after it.
  const scanned = entry.scanned;
  entry.scanned = undefined;
  const recalled = await recallCert(ctx, entry, scanned);
  if (recalled) return recalled;
  const path = entry.path;
  const source = ctx.sourceOf(entry);
  const state = ctx.mode === "check" ? undefined : ctx.state;
  let read;
  try {
    read = await readBundleWithIssuer(path, source, {
      cache: ctx.cache,
      clock: ctx.clock,
      check: ctx.mode === "check",
      fetchIssuer: ctx.settings.fetchIssuer,
      timeoutMs: ctx.settings.timeout * 1000,
      fetch: ctx.fetch,
      signal: task.signal,
      fingerprint: scanned,
      verifiedIssuer: (fingerprint) => verifiedIssuer(state, path, fingerprint),
    });
  } catch (err) {
    if (!(err instanceof StapledError)) throw err;
    if (task.aborted) return undefined;
    const outcome = ctx.outcome(entry, "failed", { error: err });
    if (err.kind === "CertFileAccessError") {
      entry.fileFailures++;
      const delay = fileRetryDelay(entry.fileFailures);
      if (delay === undefined) return { outcome };
      return { outcome, next: { queue: "parse", delay }, note: `retry in ${delay / 1000} s` };
    }
    if (err.kind === "CertIssuerMissing") {
      // <file>.issuer is not a certificate file the scanner watches: look again.
      entry.fileFailures++;
      const delay = renewalRetryDelay(entry.fileFailures);
      return {
        outcome,
        next: { queue: "parse", delay },
        note: `looking again in ${formatDelay(delay)}`,
      };
    }
    if (ctx.mode !== "check") ctx.sink?.forget(path);
    return { outcome };
  }
  ctx.readFull?.();
  if (task.aborted) return undefined;
  entry.fileFailures = 0;
  const { bundle, issuerFetch, issuerDirFile } = read;
  entry.issuerFetch = issuerFetch;
  entry.issuerFile = issuerDirFile ?? source.issuerFile;
  if (!bundle) return { outcome: ctx.outcome(entry, "parsed", { issuerFetch }) };
  // The facts are shown by status (daemon) and remembered for the next warm start.
  const facts = ctx.parsed || state ? await bundleFacts(path, bundle, read.bytes) : undefined;
  if (facts) ctx.parsed?.(entry, bundle, facts);
  entry.fingerprint = read.fingerprint;
  if (state && hasOcsp(bundle)) {
    await rememberBundle(state, bundle, {
      fingerprint: read.fingerprint,
      selfContained: bundle.issuerSource === "bundle",
      facts,
    });
  }
  if (!hasOcsp(bundle)) {
    if (ctx.mode !== "check") {
      ctx.sink?.forget(path);
      if (entry.validUntil !== undefined) await removeStaleStaple(ctx, entry);
    }
    return { outcome: ctx.outcome(entry, "skipped", {}) };
  }
  if (ctx.mode === "check") {
    return {
      outcome: ctx.outcome(entry, "parsed", {
        bundle,
        ...(issuerDirFile ? { issuerDirFile } : {}),
      }),
    };
  }
  entry.bundle = bundle;
  return { next: { queue: "renew" } };
}

/**
 * The certificate was replaced by one without an OCSP URL: the staple
 * written for the old one no longer matches, and HAProxy refuses to start
 * with a staple that matches no certificate. Remove it.
 */
async function removeStaleStaple<Socket>(
  ctx: StageContext<Socket>,
  entry: CertEntry,
): Promise<void> {
  const staple = haproxyStapleFiles(entry.path, ctx.sourceOf(entry)).staple;
  try {
    if (await ctx.store.remove(staple)) {
      log.info("removed {staple}, the staple of the certificate this file held before", {
        cert: entry.path,
        staple,
      });
    }
  } catch (err) {
    log.warn("cannot remove the stale staple {staple}: {reason}", {
      cert: entry.path,
      staple,
      reason: err instanceof StapledError ? err.reason : (err as Error).message,
    });
  }
  entry.validUntil = undefined;
}

/**
 * Renews a certificate's staple and hands it to the sink: the next renewal,
 * or a failure with its retry.
 *
 * @param ctx The engine's state.
 * @param task The renew task.
 * @param entry The certificate.
 * @returns The step.
 */
export async function renewCert<Socket>(
  ctx: StageContext<Socket>,
  task: Task<null>,
  entry: CertEntry,
): Promise<Step<Socket> | undefined> {
  if (!entry.bundle) return undefined;
  const { settings } = ctx;
  const started = ctx.clock.now();
  let result: RenewResult;
  try {
    result = await renewStaple(entry.bundle, {
      clock: ctx.clock,
      store: ctx.store,
      state: ctx.state,
      minimumValidity: settings.minimumValidity,
      recycle: entry.recycle,
      goodOnly: settings.goodOnly,
      nonce: settings.nonce,
      timeoutMs: settings.timeout * 1000,
      firstUrl: entry.urlIndex,
      naming: ctx.sourceOf(entry).naming,
      staplePath: haproxyStapleFiles(entry.path, ctx.sourceOf(entry)).staple,
      cache: ctx.cache,
      fetch: ctx.fetch,
      pool: ctx.pool,
      signal: task.signal,
      bundleFingerprint: entry.fingerprint,
    });
  } catch (err) {
    if (task.aborted) return undefined;
    if (!(err instanceof StapledError)) throw err;
    if (err instanceof ResponderDownError) {
      // Every responder of this certificate is down: not its own failure.
      // Its staple stays; it runs again at the breaker's next probe.
      const outcome = ctx.outcome(entry, "failed", { error: err });
      if (ctx.mode !== "daemon") return { outcome };
      ctx.waitForResponders?.(entry);
      const at = downRetryAt(err.retryAt, ctx.clock.now(), ctx.random);
      log.debug("{reason}; waiting until {at}", {
        cert: entry.path,
        reason: err.reason,
        at: new Date(at).toISOString(),
      });
      return { outcome, next: { queue: "renew", at }, logged: true };
    }
    entry.urlIndex++; // each retry starts at the next OCSP URL
    entry.renewFailures++;
    ctx.stats.failures++;
    const delay = renewalRetry({
      failures: entry.renewFailures,
      now: ctx.clock.now(),
      validUntil: entry.validUntil,
      retryAfterMs: err instanceof ResponderFetchError ? err.retryAfterMs : undefined,
      random: ctx.random,
    });
    return {
      outcome: ctx.outcome(entry, "failed", {
        error: err,
        durationMs: ctx.clock.now() - started,
      }),
      next: { queue: "renew", delay },
      note: `retry ${entry.renewFailures} in ${formatDelay(delay)}`,
    };
  }
  if (task.aborted) return undefined;
  const now = ctx.clock.now();
  if (result.action === "fetched") {
    entry.lastFetchAt = now;
    ctx.stats.fetches++;
    ctx.fetched?.();
  }
  return stapledStep(ctx, entry, result, now, now - started);
}
