/**
 * The parse stage's warm start: a certificate whose file and staple are
 * unchanged since its staple was verified (the state file says so, from two
 * stats) is not read at all. Its staple counts as reused, its next run is a
 * full read at its renewal time, and in the daemon the staple's bytes are
 * read only to be pushed.
 *
 * @module
 */
import { haproxyStapleFiles } from "../haproxy/config/mod.ts";
import { recallStaple, type RenewResult } from "../renewer/mod.ts";
import type { CertEntry, StageContext, Step } from "./_stages.ts";
import { nextRenewalAt } from "./policy.ts";

const NOT_READ = new Uint8Array();

/**
 * The step of a certificate recalled from the state file, or undefined when
 * it must be read (anything changed, nothing remembered, no state file, the
 * staple not valid for long enough, or `--no-recycle`).
 *
 * @param ctx The engine's state.
 * @param entry The certificate.
 * @returns Its step: stapled (reused), next a full read at its renewal time.
 */
export async function recallCert<Socket>(
  ctx: StageContext<Socket>,
  entry: CertEntry,
): Promise<Step<Socket> | undefined> {
  const { state, settings } = ctx;
  const scanned = entry.scanned;
  entry.scanned = undefined;
  if (!state || ctx.mode === "check" || !entry.recycle || !settings.recycle) return undefined;
  const source = ctx.sourceOf(entry);
  const staplePath = haproxyStapleFiles(entry.path, source).staple;
  const now = ctx.clock.now();
  const got = recallStaple({
    state,
    store: ctx.store,
    certPath: entry.path,
    bundleFingerprint: scanned,
    staplePath,
    now,
    minimumValidity: settings.minimumValidity,
    needFacts: ctx.recalled !== undefined,
  });
  if (!got) return undefined;
  let written: Uint8Array = NOT_READ;
  if (ctx.pushes(entry)) {
    // The bytes HAProxy gets must be the ones verified: same fingerprint.
    const read = await ctx.store.read(staplePath);
    if (read.state !== "read" || read.fingerprint !== got.stapleFingerprint) return undefined;
    written = read.bytes;
  }
  entry.fileFailures = 0;
  entry.renewFailures = 0;
  entry.recycle = false;
  entry.issuerFetch = undefined;
  entry.issuerFile = source.issuerFile;
  entry.fingerprint = got.bundle.fingerprint;
  const response = { ...got.response, der: written };
  entry.validUntil = response.expiresAt.getTime();
  ctx.recalled?.(entry, got.bundle);
  ctx.stats.renewed++;
  const at = nextRenewalAt({
    now,
    thisUpdate: response.thisUpdate,
    expiresAt: response.expiresAt,
    signerNotAfter: response.signer === "delegated" ? response.signerNotAfter : undefined,
    minimumValidity: settings.minimumValidity,
    lastFetchAt: entry.lastFetchAt,
    random: ctx.random(),
  });
  ctx.push(entry, written);
  const result: RenewResult = { action: "recalled", response, staplePath, written };
  return {
    outcome: ctx.outcome(entry, "stapled", { result, durationMs: 0 }),
    next: { queue: "parse", at },
  };
}
