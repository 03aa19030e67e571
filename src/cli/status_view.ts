/**
 * `stapled status`: a {@linkcode HealthSnapshot} as a table sorted by
 * urgency (revoked, expired or missing staples and failing renewals first,
 * Must-Staple certificates before others of the same urgency), or, with
 * `--json`, as one JSON document.
 *
 * @module
 */
import type { CertificateHealth, HealthSnapshot } from "../daemon/health.ts";
import { DEFAULTS } from "../config/defaults.ts";

/** How urgent a certificate is: lower is more urgent. */
export type Urgency =
  | "revoked"
  | "expired-failing"
  | "no-staple"
  | "unreadable"
  | "failing"
  | "expiring"
  | "good"
  | "no-ocsp";

const RANK: Record<Urgency, number> = {
  "revoked": 0,
  "expired-failing": 1,
  "no-staple": 2,
  "unreadable": 3,
  "failing": 4,
  "expiring": 5,
  "good": 6,
  "no-ocsp": 7,
};

/** Options of {@linkcode urgencyOf} and {@linkcode renderStatus}. */
export interface UrgencyOptions {
  /** A good staple valid for less than this many seconds is `expiring`. @default 7200 */
  minimumValidity?: number;
}

/**
 * Seconds a certificate's staple stays valid after `now` (negative when
 * expired), or undefined without one.
 *
 * @param cert The certificate.
 * @param now The time to measure from, ms.
 * @returns Seconds left.
 *
 * @example
 * ```ts
 * import { secondsLeft } from "./status_view.ts";
 * const cert = { expiresAt: "2026-01-01T01:00:00.000Z" };
 * console.assert(secondsLeft(cert, Date.parse("2026-01-01T00:00:00Z")) === 3600);
 * ```
 */
export function secondsLeft(
  cert: Pick<CertificateHealth, "expiresAt">,
  now: number,
): number | undefined {
  return cert.expiresAt === undefined ? undefined : (Date.parse(cert.expiresAt) - now) / 1000;
}

/**
 * How urgent a certificate is at `now`.
 *
 * @param cert The certificate.
 * @param now The time, ms.
 * @param options The minimum validity.
 * @returns Its urgency.
 *
 * @example
 * ```ts
 * import { urgencyOf } from "./status_view.ts";
 * const base = { path: "a.pem", subject: "", san: [], serial: "1", mustStaple: false, parsed: true, pushes: [] };
 * console.assert(urgencyOf({ ...base, ocspUrls: [], staple: "none" }, 0) === "no-ocsp");
 * console.assert(urgencyOf({ ...base, ocspUrls: ["http://o/"], staple: "revoked" }, 0) === "revoked");
 * ```
 */
export function urgencyOf(
  cert: CertificateHealth,
  now: number,
  options: UrgencyOptions = {},
): Urgency {
  const { minimumValidity = DEFAULTS.minimumValidity } = options;
  if (!cert.parsed) return "unreadable";
  if (cert.ocspUrls.length === 0) return "no-ocsp";
  if (cert.staple === "revoked") return "revoked";
  const left = secondsLeft(cert, now);
  const valid = cert.staple === "good" && left !== undefined && left > 0;
  if (!valid) return cert.lastError ? "expired-failing" : "no-staple";
  if (cert.lastError) return "failing";
  return left <= minimumValidity ? "expiring" : "good";
}

/**
 * The certificates in urgency order: most urgent first, Must-Staple first
 * within one urgency, then the soonest expiry, then the path.
 *
 * @param snapshot The health.
 * @param options The minimum validity.
 * @returns The certificates with their urgency, sorted.
 *
 * @example
 * ```ts
 * import { byUrgency } from "./status_view.ts";
 * const base = { subject: "", san: [], serial: "1", parsed: true, pushes: [], ocspUrls: ["http://o/"] };
 * const snapshot = {
 *   format: 1 as const, source: "disk" as const, generatedAt: "2026-01-01T00:00:00.000Z", responders: [],
 *   certificates: [
 *     { ...base, path: "a.pem", mustStaple: false, staple: "none" as const },
 *     { ...base, path: "b.pem", mustStaple: true, staple: "none" as const },
 *   ],
 * };
 * console.assert(byUrgency(snapshot)[0].cert.path === "b.pem");
 * ```
 */
export function byUrgency(
  snapshot: HealthSnapshot,
  options: UrgencyOptions = {},
): { cert: CertificateHealth; urgency: Urgency }[] {
  const now = Date.parse(snapshot.generatedAt);
  return snapshot.certificates
    .map((cert) => ({ cert, urgency: urgencyOf(cert, now, options) }))
    .sort((a, b) =>
      RANK[a.urgency] - RANK[b.urgency] ||
      Number(b.cert.mustStaple) - Number(a.cert.mustStaple) ||
      (secondsLeft(a.cert, now) ?? -Infinity) - (secondsLeft(b.cert, now) ?? -Infinity) ||
      (a.cert.path < b.cert.path ? -1 : a.cert.path > b.cert.path ? 1 : 0)
    );
}

/**
 * A duration for people: `3d4h`, `5h12m`, `12m`, `40s`, `-2h` for the past.
 *
 * @param seconds The duration.
 * @returns Its short form.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./status_view.ts";
 * console.assert(formatDuration(3 * 86400 + 4 * 3600) === "3d4h");
 * console.assert(formatDuration(-7200) === "-2h");
 * ```
 */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  let s = Math.floor(Math.abs(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${sign}${d}d${h ? `${h}h` : ""}`;
  if (h) return `${sign}${h}h${m ? `${m}m` : ""}`;
  if (m) return `${sign}${m}m`;
  return `${sign}${s}s`;
}

const LABELS: Record<Urgency, string> = {
  "revoked": "REVOKED",
  "expired-failing": "NO STAPLE, FAILING",
  "no-staple": "NO STAPLE",
  "unreadable": "UNREADABLE",
  "failing": "FAILING",
  "expiring": "EXPIRING",
  "good": "good",
  "no-ocsp": "no OCSP URL",
};

/** Options of {@linkcode renderStatus}. */
export interface RenderStatusOptions extends UrgencyOptions {
  /** Print one JSON document instead of the table. @default false */
  json?: boolean;
}

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i])).join("  ").trimEnd()
  )
    .join("\n");
}

/**
 * Renders `stapled status`: the table (certificates by urgency, then
 * responders, then what HAProxy serves when it was asked), or the snapshot
 * as one JSON document.
 *
 * @param snapshot The health.
 * @param options `json` and the minimum validity.
 * @returns The text to print, ending in a newline.
 *
 * @example
 * ```ts
 * import { renderStatus } from "./status_view.ts";
 * const snapshot = {
 *   format: 1 as const, source: "disk" as const, generatedAt: "2026-01-01T00:00:00.000Z", responders: [],
 *   certificates: [{
 *     path: "/etc/ssl/www.pem", subject: "CN=www", san: [], serial: "1", parsed: true, pushes: [],
 *     ocspUrls: ["http://o/"], mustStaple: true, staple: "good" as const,
 *     expiresAt: "2026-01-02T00:00:00.000Z",
 *   }],
 * };
 * console.assert(renderStatus(snapshot).includes("/etc/ssl/www.pem"));
 * console.assert(JSON.parse(renderStatus(snapshot, { json: true })).certificates.length === 1);
 * ```
 */
export function renderStatus(snapshot: HealthSnapshot, options: RenderStatusOptions = {}): string {
  if (options.json) return JSON.stringify(snapshot, null, 2) + "\n";
  const now = Date.parse(snapshot.generatedAt);
  const rows = [["STATE", "MUST-STAPLE", "VALID FOR", "NEXT RENEWAL", "CERTIFICATE", "DETAIL"]];
  for (const { cert, urgency } of byUrgency(snapshot, options)) {
    const left = secondsLeft(cert, now);
    const next = cert.nextRenewal
      ? formatDuration((Date.parse(cert.nextRenewal) - now) / 1000)
      : "-";
    const detail: string[] = [];
    if (cert.lastError) {
      detail.push(
        `${
          cert.lastError.count > 1
            ? `${cert.lastError.count}x since ${cert.lastError.firstAt}: `
            : ""
        }${cert.lastError.message}`,
      );
    }
    if (cert.stapleNote) detail.push(cert.stapleNote);
    if (cert.revocationTime) detail.push(`revoked ${cert.revocationTime}`);
    for (const p of cert.pushes) {
      if (p.result !== "ok") {
        detail.push(`push to ${p.socket} ${p.result}${p.message ? `: ${p.message}` : ""}`);
      }
    }
    for (const s of snapshot.served ?? []) {
      if (s.path === cert.path && s.state !== "same") {
        detail.push(
          `HAProxy ${s.socket} serves ${s.state === "missing" ? "no staple" : "another response"}${
            s.detail ? ` (${s.detail})` : ""
          }`,
        );
      }
    }
    rows.push([
      LABELS[urgency],
      cert.mustStaple ? "MUST-STAPLE" : "-",
      left === undefined ? "-" : left <= 0 ? "expired" : formatDuration(left),
      next,
      cert.path,
      detail.join("; "),
    ]);
  }
  const out = [
    `stapled status (${
      snapshot.source === "daemon"
        ? "from the running daemon"
        : "from the files on disk, no daemon answered"
    }) at ${snapshot.generatedAt}: ${snapshot.certificates.length} certificate(s)`,
    pad(rows),
  ];
  if (snapshot.responders.length) {
    const r = [["RESPONDER", "STATE", "FAILURES", "LATENCY", "LAST SUCCESS", "LAST ERROR"]];
    for (
      const x of [...snapshot.responders].sort((a, b) =>
        Number(a.up) - Number(b.up) || (a.url < b.url ? -1 : 1)
      )
    ) {
      r.push([
        x.url,
        x.up ? "up" : "DOWN",
        String(x.consecutiveFailures),
        x.recentLatencySeconds === undefined
          ? "-"
          : `${Math.round(x.recentLatencySeconds * 1000)}ms`,
        x.lastSuccess ?? "never",
        x.lastError ?? "",
      ]);
    }
    out.push("", pad(r));
  }
  return out.join("\n") + "\n";
}
