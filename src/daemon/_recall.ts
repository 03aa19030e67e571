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
import { stapledStep } from "./_stapled.ts";

const NOT_READ = new Uint8Array();

/**
 * The step of a certificate recalled from the state file, or undefined when
 * it must be read (anything changed, nothing remembered, no state file, the
 * staple not valid for long enough, or `--no-recycle`).
 *
 * @param ctx The engine's state.
 * @param entry The certificate.
 * @param scanned Its fingerprint as the scan that found it saw it, if just found.
 * @returns Its step: stapled (reused), next a full read at its renewal time.
 */
export async function recallCert<Socket>(
  ctx: StageContext<Socket>,
  entry: CertEntry,
  scanned: string | undefined,
): Promise<Step<Socket> | undefined> {
  const { state, settings } = ctx;
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
  ctx.recalledUnread?.();
  let written: Uint8Array = NOT_READ;
  if (ctx.pushes(entry)) {
    // The bytes HAProxy gets must be the ones verified: same fingerprint.
    const read = await ctx.store.read(staplePath);
    if (read.state !== "read" || read.fingerprint !== got.stapleFingerprint) return undefined;
    written = read.bytes;
  }
  entry.fileFailures = 0;
  entry.issuerFetch = undefined;
  entry.issuerFile = source.issuerFile;
  entry.fingerprint = got.bundle.fingerprint;
  ctx.recalled?.(entry, got.bundle);
  const response = { ...got.response, der: written };
  const result: RenewResult = { action: "recalled", response, staplePath, written };
  return stapledStep(ctx, entry, result, now, 0);
}
