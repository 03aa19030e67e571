/**
 * The daemon's log text: what a renewal did and when the next one is, and
 * failures once per distinct message (repeats are counted silently). The
 * one-off and check modes print their own lines instead.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { dumpStackTrace, RepeatFilter, repeatNote } from "../log/mod.ts";
import { describeError, StapledError } from "../errors/mod.ts";
import type { RenewResult } from "../renewer/mod.ts";
import type { CertOutcome, CertSource, EngineMode } from "./types.ts";
import type { FirstPassSummary } from "./_first_pass.ts";

const log = getLogger(["stapled", "daemon"]);

/** A delay in the largest whole unit: `2 min`, `1 h`, `30 s`. */
export function formatDelay(ms: number): string {
  if (ms >= 3_600_000) return `${ms / 3_600_000} h`;
  if (ms >= 60_000) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** Logs failures once per distinct reason and certificate. */
export class Reporter {
  #repeats = new RepeatFilter();

  /**
   * Logs what became of a certificate in daemon mode.
   *
   * @param outcome The outcome.
   * @param note What happens next, for a failure. @default "waiting until the file changes"
   * @param nextAt When the next renewal is, for a success.
   * @param recovered Failed attempts before a success.
   */
  outcome(outcome: CertOutcome, note?: string, nextAt?: number, recovered = 0): void {
    const path = outcome.path;
    if (outcome.status === "skipped") {
      log.info("no OCSP URL in the certificate, nothing to staple", { cert: path });
    } else if (outcome.status === "failed") {
      const err = outcome.error;
      const reason = err instanceof StapledError ? err.reason : describeError(err);
      const level = err instanceof StapledError && err.kind === "OcspResponderError"
        ? "warning"
        : "error";
      this.failure(path, level, reason, note ?? "waiting until the file changes");
    } else if (outcome.result && nextAt !== undefined) {
      this.renewed(path, outcome.result, nextAt, recovered);
    }
  }

  /** Forgets what was logged for `path` (it recovered, or is gone). */
  clear(path: string): void {
    this.#repeats.clear(path);
  }

  /**
   * Logs a failure, unless it repeats the last one logged for `path`.
   *
   * @param path The certificate.
   * @param level `warning` for a responder's answer, else `error`.
   * @param reason Why.
   * @param next What happens next (`retry 2 in 2 min`).
   */
  failure(path: string, level: "error" | "warning", reason: string, next: string): void {
    const decision = this.#repeats.check(path, reason);
    if (!decision.log) {
      log.debug("{reason} (again; {next})", { cert: path, reason, next });
      return;
    }
    const message = "{reason}{repeats}; {next}";
    const props = { cert: path, reason, repeats: repeatNote(decision.repeated), next };
    if (level === "error") log.error(message, props);
    else log.warn(message, props);
  }

  /**
   * Logs a renewal: reused or fetched, or REVOKED, and the next renewal.
   *
   * @param path The certificate.
   * @param result What the renewer did.
   * @param nextAt When the next renewal is, ms since the epoch.
   * @param failedBefore Failed attempts before this one.
   */
  renewed(path: string, result: RenewResult, nextAt: number, failedBefore: number): void {
    this.#repeats.clear(path);
    const response = result.response;
    const next = new Date(nextAt).toISOString();
    if (response.status === "revoked") {
      log.error("certificate REVOKED since {time}{reason}; {what}; next check {next}", {
        cert: path,
        time: response.revocationTime?.toISOString(),
        reason: response.revocationReason ? `, reason ${response.revocationReason}` : "",
        what: result.written.length
          ? "revoked response stapled"
          : "empty staple written (--good-only; HAProxy serves the staple it holds until it reloads)",
        next,
      });
      return;
    }
    // At start, reused staples are summed up in the first pass's line.
    const reused = result.action !== "fetched" && failedBefore === 0;
    const props = {
      cert: path,
      how: result.action === "fetched"
        ? `staple fetched from ${result.url}`
        : "existing staple reused",
      until: response.expiresAt.toISOString(),
      next,
      recovered: failedBefore
        ? ` (recovered after ${failedBefore} failed attempt${failedBefore > 1 ? "s" : ""})`
        : "",
    };
    const message = "{how}, valid until {until}; next renewal {next}{recovered}";
    if (reused) log.debug(message, props);
    else log.info(message, props);
  }
}

/**
 * Logs an unexpected exception (a bug): the certificate is dropped until its
 * file changes; the stack trace goes to a file in `logdir` when there is one.
 */
export async function reportUnexpected(
  logdir: string | undefined,
  what: string,
  path: string,
  err: unknown,
): Promise<void> {
  let where = "";
  if (logdir) {
    const file = await dumpStackTrace(logdir, what, err);
    if (file) where = `; stack trace in ${file}`;
  }
  log.error("unexpected error, certificate dropped until its file changes: {error}{where}", {
    cert: path,
    error: describeError(err),
    where,
  });
}

/** The daemon's first pass, in one line (a line per reused staple is debug). */
export function logFirstPass(s: FirstPassSummary): void {
  const parts = [`${s.reused} staple(s) reused`, `${s.fetched} fetched`];
  if (s.revoked) parts.push(`${s.revoked} REVOKED`);
  if (s.failed) parts.push(`${s.failed} failed (retries scheduled)`);
  if (s.skipped) parts.push(`${s.skipped} without OCSP URL`);
  log.info("first pass over {count} certificate(s) done in {seconds} s: {parts}; next run {next}", {
    count: s.certificates,
    seconds: (s.durationMs / 1000).toFixed(1),
    parts: parts.join(", "),
    next: s.nextAt === undefined ? "none" : new Date(s.nextAt).toISOString(),
  });
}

/** What the first scan found, as the mode says it. */
export function logFirstScan(
  mode: EngineMode,
  count: number,
  sources: readonly CertSource<unknown>[],
  settings: { refreshInterval: number },
): void {
  const paths = sources.reduce((n, s) => n + s.paths.length, 0);
  if (mode === "one-off" && count === 0) {
    log.warn("no certificate files found in {paths}", {
      paths: sources.flatMap((s) => s.paths).join(", "),
    });
  } else if (mode === "daemon" && count === 0) {
    log.warn(
      "no certificate files found in {paths} cert path(s); looking again every {interval} s",
      { paths, interval: settings.refreshInterval },
    );
  } else if (mode === "daemon") {
    log.info("{count} certificate file(s) found in {paths} cert path(s)", { count, paths });
  }
}
