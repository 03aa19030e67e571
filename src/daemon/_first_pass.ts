/**
 * The daemon's first pass: every certificate its first scan found, until
 * each came to an outcome (a staple reused or fetched, a failure with its
 * retry scheduled, no OCSP URL). Then one line says what the start did and
 * when the first renewal is, instead of one line per reused staple (an
 * operator with 100,000 sites reads one line, not 100,000); the `firstPass`
 * event carries the same counts.
 *
 * @module
 */
import type { CertOutcome } from "./types.ts";

/** What the first pass did. */
export interface FirstPassSummary {
  /** Certificates found by the first scan. */
  certificates: number;
  /** Staples on disk reused (good). */
  reused: number;
  /** Staples fetched (good). */
  fetched: number;
  /** Revoked staples. */
  revoked: number;
  /** Certificates whose first renewal or read failed (retries are scheduled). */
  failed: number;
  /** Certificates without an OCSP URL. */
  skipped: number;
  /** The soonest next run scheduled, ms since the epoch, if any. */
  nextAt?: number;
  /** From the start of the first scan to the last first outcome, ms. */
  durationMs: number;
}

/** Counts the first pass and says when it is over. */
export class FirstPass {
  #pending = new Set<string>();
  #scanned = false;
  #over = false;
  #startedAt: number;
  #summary: Omit<FirstPassSummary, "durationMs"> = {
    certificates: 0,
    reused: 0,
    fetched: 0,
    revoked: 0,
    failed: 0,
    skipped: 0,
  };
  #done: (summary: FirstPassSummary) => void;
  #now: () => number;

  /**
   * @param now The clock.
   * @param done Called once, when the pass is over.
   */
  constructor(now: () => number, done: (summary: FirstPassSummary) => void) {
    this.#now = now;
    this.#startedAt = now();
    this.#done = done;
  }

  /** Whether the pass is over. */
  get over(): boolean {
    return this.#over;
  }

  /**
   * The first scan found a certificate file.
   *
   * @param path The file.
   */
  add(path: string): void {
    if (this.#over || this.#scanned) return;
    if (!this.#pending.has(path)) this.#summary.certificates++;
    this.#pending.add(path);
  }

  /** The first scan ended. */
  scanned(): void {
    this.#scanned = true;
    this.#check();
  }

  /**
   * A certificate came to an outcome.
   *
   * @param outcome What became of it.
   * @param nextAt Its next run, ms.
   */
  outcome(outcome: CertOutcome<unknown>, nextAt: number | undefined): void {
    if (this.#over || !this.#pending.delete(outcome.path)) return;
    const s = this.#summary;
    if (outcome.status === "stapled") {
      if (outcome.result?.action === "fetched") s.fetched++;
      else s.reused++;
    } else if (outcome.status === "revoked") s.revoked++;
    else if (outcome.status === "skipped") s.skipped++;
    else s.failed++;
    if (nextAt !== undefined && (s.nextAt === undefined || nextAt < s.nextAt)) s.nextAt = nextAt;
    this.#check();
  }

  /**
   * A certificate is gone before its outcome.
   *
   * @param path The file.
   */
  forget(path: string): void {
    if (this.#over || !this.#pending.delete(path)) return;
    this.#summary.certificates--;
    this.#check();
  }

  #check(): void {
    if (this.#over || !this.#scanned || this.#pending.size > 0) return;
    this.#over = true;
    this.#done({ ...this.#summary, durationMs: this.#now() - this.#startedAt });
  }
}
