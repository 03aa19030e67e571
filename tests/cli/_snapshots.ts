/** Health snapshots for the status and check views' tests. */
import type { CertificateHealth, HealthSnapshot } from "../../src/daemon/health.ts";

/** The snapshots' time. */
export const NOW = Date.parse("2026-06-01T00:00:00Z");
const H = 3_600_000;

/** A certificate with an OCSP URL and a good staple valid for `hours`. */
export function cert(
  path: string,
  over: Partial<CertificateHealth> & { hours?: number } = {},
): CertificateHealth {
  const { hours = 48, ...rest } = over;
  return {
    path,
    subject: `CN=${path}`,
    san: [],
    serial: "01",
    ocspUrls: ["http://ocsp.example.test/"],
    mustStaple: false,
    parsed: true,
    staple: "good",
    thisUpdate: new Date(NOW - H).toISOString(),
    nextUpdate: new Date(NOW + hours * H).toISOString(),
    expiresAt: new Date(NOW + hours * H).toISOString(),
    pushes: [],
    ...rest,
  };
}

/** A snapshot of these certificates at {@link NOW}. */
export function snapshotOf(...certificates: CertificateHealth[]): HealthSnapshot {
  return {
    format: 1,
    source: "daemon",
    generatedAt: new Date(NOW).toISOString(),
    certificates,
    responders: [],
  };
}

/** Staple fields of a certificate without one. */
export const NO_STAPLE = {
  staple: "none" as const,
  thisUpdate: undefined,
  nextUpdate: undefined,
  expiresAt: undefined,
};
