/**
 * Feeds the engine's {@linkcode HealthBook} from what the stages and the
 * engine already know: a parsed bundle (its leaf facts and CertID key), each
 * outcome (staple in place, failure, no OCSP URL), the next run, each push
 * result of the sink (the adder's `PushResult[]`), scans and forgotten
 * files. Responder results are derived from renewal outcomes: a fetched
 * staple is a success of the URL that answered; a failed renewal a failure
 * of the URL the error names (or the one tried first).
 *
 * @module
 */
import { type CertBundle, certificatesIn, type NoOcspBundle } from "../certs/mod.ts";
import { certIdFor } from "../ocsp/mod.ts";
import { certIdKey } from "../haproxy/runtime/show_ocsp_response.ts";
import { StapleNotSentError } from "../haproxy/runtime/staple_not_sent.ts";
import { ResponderDownError } from "../ocsp/responders/mod.ts";
import type { BundleRecord } from "../staples/mod.ts";
import { HealthBook } from "./health.ts";
import { leafFacts } from "./health_from_disk.ts";
import type { CertOutcome } from "./types.ts";

/** Error kinds that come from asking a responder (and so count for it). */
const RESPONDER_KINDS = new Set(["OcspFetchError", "OcspResponderError", "OcspBadResponse"]);

/** What the feed needs of a certificate entry. */
export interface FeedEntry {
  path: string;
  bundle?: CertBundle;
  urlIndex: number;
}

/** A leaf's facts for status and metrics (what the state file remembers of them). */
export type LeafFacts = NonNullable<BundleRecord["facts"]>;

/**
 * The facts status and metrics show of a bundle's leaf: subject, SANs,
 * serial, Must-Staple and the CertID key HAProxy's `show ocsp-response`
 * lists it by.
 *
 * @param path The certificate file.
 * @param bundle What it holds.
 * @param bytes The file's bytes, when read.
 * @returns The facts (those that cannot be read are left at their defaults).
 */
export async function bundleFacts(
  path: string,
  bundle: CertBundle | NoOcspBundle,
  bytes: Uint8Array | undefined,
): Promise<LeafFacts> {
  let facts = bundle.leaf.facts;
  try {
    facts ??= bytes
      ? leafFacts(certificatesIn(path, bytes), bundle.leaf.serialHex, bundle.ocspUrls)
      : undefined;
  } catch { /* the bundle parsed; the extra facts are optional */ }
  let key: string | undefined;
  if ("issuer" in bundle) {
    try {
      key = certIdKey(await certIdFor(bundle.issuer, bundle.leaf.serial));
    } catch { /* no key: --haproxy cannot compare it */ }
  }
  return {
    subject: facts?.subject ?? bundle.leaf.subject,
    san: facts?.san ?? [],
    serial: bundle.leaf.serialHex,
    mustStaple: facts?.mustStaple ?? false,
    ...(key ? { certIdKey: key } : {}),
  };
}

/** Turns engine happenings into HealthBook calls. */
export class HealthFeed {
  /** The book fed. */
  readonly book: HealthBook;

  /** @param book The book to feed. */
  constructor(book: HealthBook) {
    this.book = book;
  }

  /**
   * A certificate file was read.
   *
   * @param path The file.
   * @param bundle What it holds.
   * @param facts Its leaf's facts ({@linkcode bundleFacts}).
   */
  parsed(path: string, bundle: CertBundle | NoOcspBundle, facts: LeafFacts): void {
    this.book.certificateParsed(path, { ...facts, ocspUrls: bundle.ocspUrls });
  }

  /**
   * A certificate file was recalled from the state file, unread.
   *
   * @param path The file.
   * @param bundle What its last full read found (with its facts).
   */
  recalled(path: string, bundle: BundleRecord): void {
    if (!bundle.facts) return;
    this.book.certificateParsed(path, { ...bundle.facts, ocspUrls: bundle.ocspUrls });
  }

  /**
   * A stage's outcome, and when the certificate runs next.
   *
   * @param outcome What became of it.
   * @param entry Its entry, when still known.
   * @param nextAt When it runs next (ms), if it does.
   */
  outcome(outcome: CertOutcome<unknown>, entry: FeedEntry | undefined, nextAt?: number): void {
    const { path } = outcome;
    const next = nextAt === undefined ? undefined : new Date(nextAt);
    const result = outcome.result;
    switch (outcome.status) {
      case "stapled":
      case "revoked":
        if (!result) break;
        this.book.stapled(path, {
          status: result.response.status,
          producedAt: result.response.producedAt,
          thisUpdate: result.response.thisUpdate,
          nextUpdate: result.response.nextUpdate,
          expiresAt: result.response.expiresAt,
          ...(result.response.revocationTime
            ? { revocationTime: result.response.revocationTime }
            : {}),
        }, next);
        if (result.action === "fetched" && result.url) {
          this.book.responderResult(result.url, { ok: true, durationMs: outcome.durationMs ?? 0 });
        }
        break;
      case "skipped":
        this.book.noStaple(path, "no OCSP URL in the certificate");
        this.book.scheduled(path, next);
        break;
      case "failed": {
        this.book.failed(path, outcome.error, next);
        const err = outcome.error as { kind?: string; url?: string } | undefined;
        if (!err?.kind || !RESPONDER_KINDS.has(err.kind) || err instanceof ResponderDownError) {
          break;
        }
        const urls = entry?.bundle?.ocspUrls ?? [];
        const url = err.url ??
          (urls.length
            ? urls[((entry!.urlIndex - 1) % urls.length + urls.length) % urls.length]
            : undefined);
        if (url) {
          this.book.responderResult(url, {
            ok: false,
            error: outcome.error,
            ...(outcome.durationMs !== undefined ? { durationMs: outcome.durationMs } : {}),
          });
        }
        break;
      }
      default:
        this.book.scheduled(path, next);
    }
  }

  /**
   * What a push to the sink gave (the adder resolves to one result per socket).
   *
   * @param path The certificate file.
   * @param results The sink's answer.
   */
  pushed(path: string, results: unknown): void {
    if (!Array.isArray(results)) return;
    for (const r of results as Array<{ socket?: unknown; ok?: unknown; error?: unknown }>) {
      if (typeof r?.socket !== "string") continue;
      if (r.ok === true) {
        this.book.pushed(path, r.socket, "ok");
      } else {
        const error = r.error;
        const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
        this.book.pushed(
          path,
          r.socket,
          error instanceof StapleNotSentError ? "not-sent" : "failed",
          message,
        );
      }
    }
  }
}
