/**
 * `stapled check`: a Nagios/Icinga probe over a {@linkcode HealthSnapshot}.
 * Exit 0 (OK) when every certificate with an OCSP URL has a staple valid for
 * longer than `--minimum-validity`; 1 (WARNING) when some staple is valid for
 * less; 2 (CRITICAL) when some certificate has no valid staple or a revoked
 * one; 3 (UNKNOWN) when it cannot tell (no snapshot, or a certificate file
 * that could not be read, so whether it needs a staple is unknown). The worst
 * state wins in the monitoring-plugins order CRITICAL > WARNING > UNKNOWN >
 * OK. One summary line with performance data; one line per problem with -v.
 *
 * @module
 */
import type { HealthSnapshot } from "../daemon/health.ts";
import { formatDuration, secondsLeft } from "./status_view.ts";
import { DEFAULTS } from "../config/defaults.ts";

/** Nagios plugin exit codes. */
export const CHECK_OK = 0;
/** Some staple is valid for less than the minimum validity. */
export const CHECK_WARNING = 1;
/** Some certificate has no valid staple, or a revoked one. */
export const CHECK_CRITICAL = 2;
/** It cannot tell. */
export const CHECK_UNKNOWN = 3;

/** Options of {@linkcode checkHealth}. */
export interface CheckOptions {
  /** Seconds a staple must stay valid. @default 7200 */
  minimumValidity?: number;
  /** One line per certificate that is not OK after the summary. @default false */
  verbose?: boolean;
}

/** The probe's verdict. */
export interface CheckResult {
  /** 0, 1, 2 or 3. */
  exitCode: number;
  /** What to print: the summary line, then details with -v. */
  output: string;
}

const NAMES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"];
const ORDER = [CHECK_OK, CHECK_UNKNOWN, CHECK_WARNING, CHECK_CRITICAL];

function worse(a: number, b: number): number {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/**
 * Judges a snapshot as a monitoring probe.
 *
 * @param snapshot The health, or undefined when it could not be had.
 * @param options Minimum validity and verbosity.
 * @param why When `snapshot` is undefined: why (one line).
 * @returns The exit code and the output.
 *
 * @example A staple valid for one hour under a two-hour minimum is a warning
 * ```ts
 * import { checkHealth } from "./check_view.ts";
 * const snapshot = {
 *   format: 1 as const, source: "disk" as const, generatedAt: "2026-01-01T00:00:00.000Z", responders: [],
 *   certificates: [{
 *     path: "/etc/ssl/www.pem", subject: "CN=www", san: [], serial: "1", parsed: true, pushes: [],
 *     ocspUrls: ["http://o/"], mustStaple: false, staple: "good" as const,
 *     expiresAt: "2026-01-01T01:00:00.000Z",
 *   }],
 * };
 * const result = checkHealth(snapshot, { minimumValidity: 7200 });
 * console.assert(result.exitCode === 1 && result.output.startsWith("OCSP WARNING"));
 * console.assert(checkHealth(undefined, {}, "no daemon").exitCode === 3);
 * ```
 */
export function checkHealth(
  snapshot: HealthSnapshot | undefined,
  options: CheckOptions = {},
  why = "no health information",
): CheckResult {
  const { minimumValidity = DEFAULTS.minimumValidity, verbose = false } = options;
  if (!snapshot) return { exitCode: CHECK_UNKNOWN, output: `OCSP UNKNOWN - ${why}\n` };
  const now = Date.parse(snapshot.generatedAt);
  let state = CHECK_OK;
  const problems: string[] = [];
  const counts = { ok: 0, warning: 0, critical: 0, unknown: 0 };
  let soonest: { path: string; left: number } | undefined;
  for (const cert of snapshot.certificates) {
    let s = CHECK_OK;
    let line = "";
    const left = secondsLeft(cert, now);
    const err = cert.lastError
      ? ` (${cert.lastError.message})`
      : cert.stapleNote
      ? ` (${cert.stapleNote})`
      : "";
    if (!cert.parsed) {
      s = CHECK_UNKNOWN;
      line = `${cert.path}: cannot tell, the file could not be read${err}`;
    } else if (cert.ocspUrls.length === 0) {
      continue;
    } else if (cert.staple === "revoked") {
      s = CHECK_CRITICAL;
      line = `${cert.path}: REVOKED${cert.revocationTime ? ` since ${cert.revocationTime}` : ""}`;
    } else if (cert.staple !== "good" || left === undefined || left <= 0) {
      s = CHECK_CRITICAL;
      line = `${cert.path}: no valid staple${err}`;
    } else if (left <= minimumValidity) {
      s = CHECK_WARNING;
      line = `${cert.path}: staple valid for ${
        formatDuration(left)
      } only, less than ${minimumValidity} s${err}`;
    } else if (!soonest || left < soonest.left) {
      soonest = { path: cert.path, left };
    }
    if (s === CHECK_OK) counts.ok++;
    else if (s === CHECK_WARNING) counts.warning++;
    else if (s === CHECK_CRITICAL) counts.critical++;
    else counts.unknown++;
    if (line) problems.push(`${NAMES[s]}: ${line}`);
    state = worse(state, s);
  }
  const total = counts.ok + counts.warning + counts.critical + counts.unknown;
  let summary: string;
  if (state === CHECK_OK) {
    summary = total === 0
      ? "no certificate with an OCSP URL"
      : `${total} staple(s) valid${
        soonest
          ? `, the soonest to expire in ${formatDuration(soonest.left)} (${soonest.path})`
          : ""
      }`;
  } else {
    const parts = [
      counts.critical ? `${counts.critical} without a valid staple or revoked` : "",
      counts.warning ? `${counts.warning} valid for less than ${minimumValidity} s` : "",
      counts.unknown ? `${counts.unknown} unreadable` : "",
    ].filter(Boolean);
    summary = `${parts.join(", ")} of ${total}: ${
      problems.slice(0, 1).map((p) => p.replace(/^[A-Z]+: /, "")).join("")
    }${problems.length > 1 ? ` and ${problems.length - 1} more` : ""}`;
  }
  const perf =
    `| ok=${counts.ok} warning=${counts.warning} critical=${counts.critical} unknown=${counts.unknown}`;
  const lines = [`OCSP ${NAMES[state]} - ${summary} ${perf}`];
  if (verbose) lines.push(...problems);
  return { exitCode: state, output: lines.join("\n") + "\n" };
}
