/**
 * One-off mode (`--one-off`, `--one-shot`): find every certificate once,
 * reuse or fetch its staple with at most `-t` requests in flight, print one
 * line per certificate and report whether all of them hold a valid staple.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { CertCache, hasOcsp, readBundle } from "../certs/mod.ts";
import { describeError, StapledError } from "../errors/mod.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { type RenewResult, renewStaple } from "../renewer/mod.ts";
import { LeftoverCleaner, type StapleNaming } from "../staples/mod.ts";
import { type HaproxyExtraFiles, haproxyStapleFiles } from "../haproxy/config/mod.ts";
import type { CertSource, StapleSink } from "../daemon/mod.ts";
import type { HaproxySocketAddress } from "../haproxy/address.ts";
import { listSourceFiles } from "./sources.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";

const log = getLogger(["stapled", "one-off"]);

/** What happened to one certificate. */
export interface OneOffOutcome {
  /** The certificate file. */
  path: string;
  /** `stapled` (good staple on disk), `skipped` (no OCSP URL), `revoked`, `failed`. */
  status: "stapled" | "skipped" | "revoked" | "failed";
  /** The line printed for it. */
  line: string;
  /** The renewal's result, when there was one. */
  result?: RenewResult;
}

/** A certificate to staple, with how its staple is named. */
export interface OneOffTarget {
  /** The certificate file. */
  path: string;
  /** Staple naming. @default "append" */
  naming?: StapleNaming;
  /** HAProxy's `ssl-load-extra-files` for it (where the issuer may come from). */
  extraFiles?: HaproxyExtraFiles;
}

/** Options of {@linkcode runOneOff}. */
export interface OneOffOptions {
  /** Requests in flight at most. @default DEFAULTS.renewalThreads */
  concurrency?: number;
  /** Reuse staples valid for longer than this (s). @default DEFAULTS.minimumValidity */
  minimumValidity?: number;
  /** Reuse valid staples on disk. @default true */
  recycle?: boolean;
  /** Empty staple instead of revoked. @default false */
  goodOnly?: boolean;
  /** Send nonces. @default false */
  nonce?: boolean;
  /** HTTP timeout (s). @default DEFAULTS.timeout */
  timeout?: number;
  /** The clock. @default systemClock */
  clock?: Clock;
  /** Where result lines go. @default console.log */
  print?: (line: string) => void;
  /** The fetch implementation. */
  fetch?: typeof fetch;
  /** Called after each certificate, with its outcome. */
  onStapled?: (outcome: OneOffOutcome) => void;
}

/** Summary of a one-off run. */
export interface OneOffSummary {
  /** One entry per certificate, in path order. */
  outcomes: OneOffOutcome[];
  /** 0 when every certificate with an OCSP URL holds a valid good staple, else 1. */
  exitCode: 0 | 1;
}

function goodLine(path: string, r: RenewResult): string {
  const how = r.action === "recycled" ? "existing staple reused" : `fetched from ${r.url}`;
  return `${path}: good, valid until ${r.response.expiresAt.toISOString()} (${how})`;
}

function revokedLine(path: string, r: RenewResult): string {
  const res = r.response;
  const reason = res.revocationReason ? `, reason ${res.revocationReason}` : "";
  const what = r.written.length === 0
    ? "empty staple written (--good-only)"
    : "revoked response stapled";
  return `${path}: REVOKED since ${res.revocationTime?.toISOString()}${reason} (${what})`;
}

async function stapleOne(
  target: OneOffTarget,
  cache: CertCache,
  options: OneOffOptions,
): Promise<OneOffOutcome> {
  const path = target.path;
  const clock = options.clock ?? systemClock;
  try {
    const { issuerFile, issuerHint } = haproxyStapleFiles(path, target);
    const bundle = await readBundle(path, {
      cache,
      now: new Date(clock.now()),
      issuerFile,
      issuerHint,
    });
    if (!hasOcsp(bundle)) {
      log.info("no OCSP URL in the certificate, skipped", { cert: path });
      return {
        path,
        status: "skipped",
        line: `${path}: skipped, the certificate names no OCSP responder`,
      };
    }
    const result = await renewStaple(bundle, {
      clock,
      cache,
      minimumValidity: options.minimumValidity,
      recycle: options.recycle,
      goodOnly: options.goodOnly,
      nonce: options.nonce,
      timeoutMs: (options.timeout ?? DEFAULTS.timeout) * 1000,
      naming: target.naming,
      fetch: options.fetch,
    });
    if (result.response.status === "revoked") {
      const line = revokedLine(path, result);
      log.error("{message}", { cert: path, message: line.slice(path.length + 2) });
      return { path, status: "revoked", line, result };
    }
    return { path, status: "stapled", line: goodLine(path, result), result };
  } catch (err) {
    const reason = err instanceof StapledError ? err.message : describeError(err, path);
    if (!(err instanceof StapledError)) {
      log.error("unexpected error: {stack}", { cert: path, stack: (err as Error).stack });
    }
    return {
      path,
      status: "failed",
      line: `${path}: FAILED: ${
        reason.startsWith(`${path}: `) ? reason.slice(path.length + 2) : reason
      }`,
    };
  }
}

/**
 * Staples every target once.
 *
 * @param targets The certificate files.
 * @param options Policy, concurrency, output.
 * @returns One outcome per certificate and the exit code.
 */
export async function stapleAll(
  targets: OneOffTarget[],
  options: OneOffOptions = {},
): Promise<OneOffSummary> {
  const { concurrency = DEFAULTS.renewalThreads, print = console.log } = options;
  const cache = new CertCache();
  const outcomes: OneOffOutcome[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      outcomes[i] = await stapleOne(targets[i], cache, options);
      print(outcomes[i].line);
      options.onStapled?.(outcomes[i]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker),
  );
  const failed = outcomes.some((o) => o.status === "failed" || o.status === "revoked");
  return { outcomes, exitCode: failed ? 1 : 0 };
}

/** Options of {@linkcode runOneOff}. */
export interface RunOneOffOptions extends OneOffOptions {
  /** Where staples are pushed (HAProxy sockets of each source). */
  sink?: StapleSink<HaproxySocketAddress>;
}

/**
 * Finds the certificates of every source and staples each once; new staples
 * are pushed to the sockets of their source. Push failures are logged but do
 * not change the exit code: the staples on disk are what HAProxy loads.
 *
 * @param sources Where the certificates are and who serves them.
 * @param options Stapling options and the sink.
 * @returns The outcomes and exit code.
 */
export async function runOneOff(
  sources: CertSource<HaproxySocketAddress>[],
  options: RunOneOffOptions = {},
): Promise<OneOffSummary> {
  const { files, warnings } = await listSourceFiles(sources);
  for (const w of warnings) log.warn("{warning}", { warning: w });
  const targets: OneOffTarget[] = files.map((f) => ({
    path: f.path,
    naming: f.naming,
    extraFiles: f.extraFiles,
  }));
  // Temp files an interrupted stapled left (kill -9 during a write), once per directory.
  await new LeftoverCleaner().sweepFor(targets.map((t) => t.path));
  const socketsOf = new Map(files.map((f) => [f.path, f.sockets]));
  if (targets.length === 0) {
    log.warn("no certificate files found in {paths}", {
      paths: sources.flatMap((s) => s.paths).join(", "),
    });
  }
  const pushes: Promise<unknown>[] = [];
  const summary = await stapleAll(targets, {
    ...options,
    onStapled: (outcome) => {
      const sockets = socketsOf.get(outcome.path) ?? [];
      const written = outcome.result?.written;
      if (options.sink && sockets.length > 0 && written && written.length > 0) {
        pushes.push(options.sink.push(outcome.path, written, sockets).catch(() => {}));
      }
    },
  });
  await Promise.all(pushes);
  const count = (s: OneOffOutcome["status"]) =>
    summary.outcomes.filter((o) => o.status === s).length;
  log.info(
    "{total} certificate(s): {stapled} stapled, {skipped} without OCSP URL, {revoked} revoked, {failed} failed",
    {
      total: targets.length,
      stapled: count("stapled"),
      skipped: count("skipped"),
      revoked: count("revoked"),
      failed: count("failed"),
    },
  );
  return summary;
}
