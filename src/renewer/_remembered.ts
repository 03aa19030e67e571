/**
 * What the renewer remembers in the state file (`--state-dir`): per
 * certificate, a digest of the bundle's and the staple's fingerprints and of
 * the certificate, with the verified good result's times, so that a warm run
 * reuses an unchanged staple without parsing or verifying it again. Only the
 * time-dependent checks are redone, from the remembered times.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type CertBundle, certDigest, toHex } from "../certs/mod.ts";
import { type CertId, CLOCK_SKEW_MS, type ValidatedResponse } from "../ocsp/mod.ts";
import type { StateRecord, StateStore } from "../staples/mod.ts";

const identities = new WeakMap<CertBundle, string>();

/**
 * What identifies the certificate a staple was verified for, as a digest:
 * its CertID, its notAfter and its issuer. Computed once per parsed bundle
 * (the parse stage remembers it, the renewal matches by it).
 */
export function identityOf(bundle: CertBundle, certId: CertId): string {
  let identity = identities.get(bundle);
  if (identity === undefined) {
    const id = `${toHex(certId.issuerNameHash)}.${toHex(certId.issuerKeyHash)}.${
      toHex(certId.serialNumber)
    }`;
    identity = createHash("sha256")
      .update(`${id}.${bundle.leaf.notAfter.getTime()}.${certDigest(bundle.issuer)}`)
      .digest("base64url").slice(0, 22);
    identities.set(bundle, identity);
  }
  return identity;
}

/** Where the state store is consulted and fed, for one renewal. */
export interface Remembering {
  state: StateStore;
  certPath: string;
  /** The bundle file's fingerprint when it was read (undefined: not remembered). */
  bundle: string | undefined;
  /** The certificate's identity ({@linkcode identityOf}). */
  key: string;
}

/**
 * What a staple record is matched by: both files' fingerprints and the
 * certificate's identity, as they are (string equality, no hashing: this
 * runs for every certificate of every warm start).
 */
export function checkOf(bundle: string, staple: string, identity: string): string {
  return `${bundle}|${staple}|${identity}`;
}

/** Records a good result verified from these files (anything else: forgets the certificate). */
export function remember(
  r: Remembering | undefined,
  staple: string | undefined,
  res: ValidatedResponse,
): void {
  if (!r) return;
  if (!r.bundle || !staple || res.status !== "good") {
    r.state.delete(r.certPath);
    return;
  }
  r.state.set(r.certPath, {
    check: checkOf(r.bundle, staple, r.key),
    producedAt: res.producedAt.getTime(),
    thisUpdate: res.thisUpdate.getTime(),
    nextUpdate: res.nextUpdate.getTime(),
    expiresAt: res.expiresAt.getTime(),
    signer: res.signer,
    signerNotAfter: res.signerNotAfter.getTime(),
  });
}

/**
 * A staple record as the validated response it stands for, when it is still
 * in its validity (the time-dependent checks of validation, from the
 * remembered times: not within the clock skew of its expiry, the signer not
 * expired).
 */
export function responseOf(
  rec: StateRecord,
  der: Uint8Array,
  now: number,
): ValidatedResponse | undefined {
  if (rec.expiresAt <= now + CLOCK_SKEW_MS || rec.signerNotAfter < now) return undefined;
  return {
    der,
    status: "good",
    producedAt: new Date(rec.producedAt),
    thisUpdate: new Date(rec.thisUpdate),
    nextUpdate: new Date(rec.nextUpdate),
    expiresAt: new Date(rec.expiresAt),
    signer: rec.signer,
    signerNotAfter: new Date(rec.signerNotAfter),
  };
}

/**
 * The remembered good result for these bytes, when the bundle and staple
 * files are the ones it was verified from and it is still in its validity.
 */
export function recalled(
  r: Remembering | undefined,
  staple: string | undefined,
  der: Uint8Array,
  now: number,
): ValidatedResponse | undefined {
  if (!r?.bundle || !staple) return undefined;
  const rec = r.state.get(r.certPath);
  if (!rec || rec.check !== checkOf(r.bundle, staple, r.key)) return undefined;
  return responseOf(rec, der, now);
}
