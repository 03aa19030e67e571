/**
 * The {@linkcode HealthBook}'s private records (per certificate, per
 * responder, per histogram) and the small text helpers it formats them with.
 *
 * @module
 */
import type { PushHealth, StapleFacts } from "./health_types.ts";

/** What the book keeps per certificate. */
export interface CertEntry {
  subject: string;
  san: string[];
  serial: string;
  ocspUrls: readonly string[];
  certIdKey?: string;
  mustStaple: boolean;
  parsed: boolean;
  staple?: StapleFacts;
  stapleNote?: string;
  nextRenewal?: number;
  error?: { message: string; kind?: string; count: number; firstAt: number; lastAt: number };
  pushes?: Map<string, { result: PushHealth["result"]; at: number; message?: string }>;
}

/** What the book keeps per responder. */
export interface ResponderEntry {
  lastSuccess?: number;
  failures: number;
  latencies: number[];
  lastError?: string;
}

/** One responder host's fetch durations. */
export interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * @param ms Epoch milliseconds.
 * @returns ISO 8601.
 */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * An error's first line and kind.
 *
 * @param err The error.
 * @returns Its message's first line and its kind, if any.
 */
export function errorText(err: unknown): { message: string; kind?: string } {
  if (err instanceof Error) {
    const kind = (err as { kind?: unknown }).kind;
    return {
      message: err.message.split("\n")[0],
      kind: typeof kind === "string" ? kind : undefined,
    };
  }
  return { message: String(err).split("\n")[0] };
}

/**
 * @param url A responder URL.
 * @returns Its host, or the text when it is no URL.
 */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
