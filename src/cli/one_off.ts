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
import { findCertFiles } from "../finder/mod.ts";
import { type RenewResult, renewStaple } from "../renewer/mod.ts";
import type { StapleNaming } from "../staples/mod.ts";

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
}

/** Options of {@linkcode runOneOff}. */
export interface OneOffOptions {
  /** Requests in flight at most. @default 2 */
  concurrency?: number;
  /** Reuse staples valid for longer than this (s). @default 7200 */
  minimumValidity?: number;
  /** Reuse valid staples on disk. @default true */
  recycle?: boolean;
  /** Empty staple instead of revoked. @default false */
  goodOnly?: boolean;
  /** Send nonces. @default false */
  nonce?: boolean;
  /** HTTP timeout (s). @default 10 */
  timeout?: number;
  /** The clock. @default () => new Date() */
  now?: () => Date;
  /** Where result lines go. @default console.log */
  print?: (line: string) => void;
  /** The fetch implementation. */
  fetch?: typeof fetch;
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
  return `${path}: good, valid until ${r.response.nextUpdate.toISOString()} (${how})`;
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
  const now = options.now ?? (() => new Date());
  try {
    const bundle = await readBundle(path, { cache, now: now() });
    if (!hasOcsp(bundle)) {
      log.info("no OCSP URL in the certificate, skipped", { cert: path });
      return {
        path,
        status: "skipped",
        line: `${path}: skipped, the certificate names no OCSP responder`,
      };
    }
    const result = await renewStaple(bundle, {
      now,
      cache,
      minimumValidity: options.minimumValidity,
      recycle: options.recycle,
      goodOnly: options.goodOnly,
      nonce: options.nonce,
      timeoutMs: (options.timeout ?? 10) * 1000,
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
  const { concurrency = 2, print = console.log } = options;
  const cache = new CertCache();
  const outcomes: OneOffOutcome[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      outcomes[i] = await stapleOne(targets[i], cache, options);
      print(outcomes[i].line);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker),
  );
  const failed = outcomes.some((o) => o.status === "failed" || o.status === "revoked");
  return { outcomes, exitCode: failed ? 1 : 0 };
}

/** Options of {@linkcode runOneOff}: finding plus stapling. */
export interface RunOneOffOptions extends OneOffOptions {
  /** Certificate file extensions. */
  extensions?: string[];
  /** Scan recursively. */
  recursive?: boolean;
  /** Ignore patterns. */
  ignore?: string[];
  /** Extra targets (from HAProxy configs), with their naming. */
  extraTargets?: OneOffTarget[];
}

/**
 * Finds the certificates under `paths` and staples each once.
 *
 * @param paths Certificate files or directories.
 * @param options Finder and stapling options.
 * @returns The outcomes and exit code.
 */
export async function runOneOff(
  paths: string[],
  options: RunOneOffOptions = {},
): Promise<OneOffSummary> {
  const { files, warnings } = paths.length > 0
    ? await findCertFiles(paths, {
      extensions: options.extensions,
      recursive: options.recursive,
      ignore: options.ignore,
    })
    : { files: [], warnings: [] };
  for (const w of warnings) log.warn("{warning}", { warning: w });
  const seen = new Set<string>();
  const targets: OneOffTarget[] = [];
  for (const t of [...files.map((f) => ({ path: f.path })), ...(options.extraTargets ?? [])]) {
    if (seen.has(t.path)) continue;
    seen.add(t.path);
    targets.push(t);
  }
  if (targets.length === 0) {
    log.warn("no certificate files found in {paths}", { paths: paths.join(", ") });
  }
  const summary = await stapleAll(targets, options);
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
