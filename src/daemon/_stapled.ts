/**
 * What the engine does once a certificate's staple is in place, however it
 * got there (fetched, reused after a full check, or recalled from the state
 * file): book it, hand it to the sink, and run the certificate again at its
 * renewal time, as a full read.
 *
 * @module
 */
import type { RenewResult } from "../renewer/mod.ts";
import type { CertEntry, StageContext, Step } from "./_stages.ts";
import { nextRenewalAt } from "./policy.ts";

/**
 * The step of a certificate whose staple is in place.
 *
 * @param ctx The engine's state.
 * @param entry The certificate.
 * @param result What put the staple in place.
 * @param now Now, ms.
 * @param durationMs How long it took.
 * @returns Stapled (or revoked), next a full read at its renewal time.
 */
export function stapledStep<Socket>(
  ctx: StageContext<Socket>,
  entry: CertEntry,
  result: RenewResult,
  now: number,
  durationMs: number,
): Step<Socket> {
  ctx.stats.renewed++;
  entry.recycle = false;
  const recovered = entry.renewFailures;
  entry.renewFailures = 0;
  const response = result.response;
  entry.validUntil = response.expiresAt.getTime();
  const at = nextRenewalAt({
    now,
    thisUpdate: response.thisUpdate,
    expiresAt: response.expiresAt,
    signerNotAfter: response.signer === "delegated" ? response.signerNotAfter : undefined,
    minimumValidity: ctx.settings.minimumValidity,
    lastFetchAt: entry.lastFetchAt,
    random: ctx.random(),
  });
  ctx.push(entry, result.written);
  if (result.action === "fetched") ctx.changed(entry.path);
  // Until its next renewal, days away, the certificate keeps no parsed
  // bundle: the file is read again then (its leaf's signature is not checked
  // again while the file is unchanged), so 100,000 idle certificates hold
  // a few hundred bytes each.
  entry.bundle = undefined;
  const status = response.status === "revoked" ? "revoked" : "stapled";
  return {
    outcome: ctx.outcome(entry, status, { result, durationMs }),
    next: { queue: "parse", at },
    recovered,
  };
}
