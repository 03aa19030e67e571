/**
 * Staple health as plain data: the JSON-serialisable shapes of a
 * {@linkcode HealthSnapshot} (times are ISO 8601 strings) that `stapled
 * status`, `stapled check`, the control socket and the metrics endpoint
 * show, the facts the engine reports to a `HealthBook`, and its counters.
 *
 * @module
 */
import type { ServedHealth } from "../haproxy/runtime/show_ocsp_response.ts";

export type { ServedHealth };

/** The staple's status: a good or revoked response is stapled, or none is. */
export type StapleStatus = "good" | "revoked" | "none";

/** The last error of a certificate's renewal, repeated ones counted. */
export interface ErrorHealth {
  /** One line (the error's message). */
  message: string;
  /** The error's kind (`StapledError.kind`) when it has one. */
  kind?: string;
  /** How many failures in a row, since the last success. */
  count: number;
  /** When the first of them happened (ISO 8601). */
  firstAt: string;
  /** When the last one happened (ISO 8601). */
  lastAt: string;
}

/** The last push of a certificate's staple to one HAProxy socket. */
export interface PushHealth {
  /** The socket (its formatted address). */
  socket: string;
  /** `ok` (HAProxy took it), `failed`, or `not-sent` (refused before sending, e.g. too big). */
  result: "ok" | "failed" | "not-sent";
  /** When (ISO 8601). */
  at: string;
  /** Why, when not ok. */
  message?: string;
}

/** One certificate's health. */
export interface CertificateHealth {
  /** The certificate file. */
  path: string;
  /** The leaf's subject (`CN=...`); empty when the file could not be read. */
  subject: string;
  /** The leaf's DNS names and IP addresses from subjectAltName. */
  san: string[];
  /** The leaf's serial, lower-case hex. */
  serial: string;
  /** The OCSP URLs of the leaf; empty for none (not stapled, not an error). */
  ocspUrls: string[];
  /**
   * HAProxy's key for the leaf's CertID (`certIdKey`, the hex of its DER),
   * when the issuer is known: what `status --haproxy` looks up in `show ssl
   * ocsp-response`.
   */
  certIdKey?: string;
  /** Whether the leaf is Must-Staple (TLS feature status_request). */
  mustStaple: boolean;
  /** False when the file could not be read or parsed, so the fields above are unknown. */
  parsed: boolean;
  /** What is stapled. */
  staple: StapleStatus;
  /** The staple's producedAt (ISO 8601). */
  producedAt?: string;
  /** The staple's thisUpdate (ISO 8601). */
  thisUpdate?: string;
  /** The staple's nextUpdate (ISO 8601). */
  nextUpdate?: string;
  /** The staple's effective expiry, min(nextUpdate, thisUpdate + 10 days) (ISO 8601). */
  expiresAt?: string;
  /** For a revoked staple: when the certificate was revoked (ISO 8601). */
  revocationTime?: string;
  /** When the next renewal is due (ISO 8601), when one is scheduled. */
  nextRenewal?: string;
  /** Why there is no staple, when known (a staple on disk that fails validation...). */
  stapleNote?: string;
  /** The last renewal error since the last success. */
  lastError?: ErrorHealth;
  /** The last push to each HAProxy socket, by socket. */
  pushes: PushHealth[];
}

/** One OCSP responder's health. */
export interface ResponderHealth {
  /** The responder URL. */
  url: string;
  /** False after {@linkcode HealthBookOptions.downAfter} failures in a row. */
  up: boolean;
  /** When it last answered with a usable response (ISO 8601). */
  lastSuccess?: string;
  /** Failures since its last success. */
  consecutiveFailures: number;
  /** The mean latency of its recent answers (up to the last 8), in seconds. */
  recentLatencySeconds?: number;
  /** Its last error, one line. */
  lastError?: string;
}

/** Everything `status` shows, as one JSON document. */
export interface HealthSnapshot {
  /** The format's version. */
  format: 1;
  /** Who computed it: the running daemon, or `status` from the files on disk. */
  source: "daemon" | "disk";
  /** When (ISO 8601); views measure remaining validity from here. */
  generatedAt: string;
  /** Every certificate known. */
  certificates: CertificateHealth[];
  /** Every OCSP responder contacted. */
  responders: ResponderHealth[];
  /** The last scan's duration in seconds, when one ran. */
  scanDurationSeconds?: number;
  /** `status --haproxy`: what each socket serves, when asked. */
  served?: ServedHealth[];
}

/** What the engine knows once it read a certificate file. */
export interface CertificateFacts {
  /** The leaf's subject. */
  subject: string;
  /** subjectAltName entries. @default [] */
  san?: string[];
  /** The serial, hex. */
  serial: string;
  /** OCSP URLs. */
  ocspUrls: readonly string[];
  /** Must-Staple. @default false */
  mustStaple?: boolean;
  /** HAProxy's CertID key, when the issuer is known. */
  certIdKey?: string;
}

/** A staple now in place (validated). */
export interface StapleFacts {
  /** good or revoked. */
  status: "good" | "revoked";
  /** producedAt, when known. */
  producedAt?: Date;
  /** thisUpdate. */
  thisUpdate: Date;
  /** nextUpdate. */
  nextUpdate: Date;
  /** The effective expiry. */
  expiresAt: Date;
  /** For revoked: when. */
  revocationTime?: Date;
}

/** Counters kept beside the snapshot, for metrics. */
export interface HealthCounters {
  /** OCSP fetches by responder URL and result (`ok`, or an error kind). */
  fetches: { responder: string; result: string; count: number }[];
  /** Fetch durations by responder host: cumulative bucket counts, sum and count. */
  fetchDurations: {
    host: string;
    buckets: { le: number; count: number }[];
    sum: number;
    count: number;
  }[];
  /** Pushes by socket and result. */
  pushes: { socket: string; result: string; count: number }[];
}
