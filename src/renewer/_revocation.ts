/**
 * The revocation record: the newest revoked response seen for a
 * certificate, kept beside its staple (`.<staple>.revoked`) so that no good
 * answer produced before that revocation is stapled again, also under
 * `--good-only` (where the staple on disk is empty) and after a restart.
 *
 * The record is honoured after it expires: it is re-validated as of its own
 * producedAt (signature, signer, CertID: it is ours and the CA's), so its
 * time window no longer matters, only its thisUpdate.
 *
 * @module
 */
import "reflect-metadata";
import { getLogger } from "@logtape/logtape";
import { AsnConvert } from "@peculiar/asn1-schema";
import { BasicOCSPResponse, OCSPResponse } from "@peculiar/asn1-ocsp";
import type { CertBundle } from "../certs/mod.ts";
import { describeError, OcspBadResponse, StapledError } from "../errors/mod.ts";
import {
  type ValidatedResponse,
  validateOcspResponse,
  type ValidationContext,
} from "../ocsp/mod.ts";
import { revocationPathFor, type StapleStore } from "../staples/mod.ts";

const log = getLogger(["stapled", "renewer"]);

/** The producedAt of a DER OCSP response, or undefined when it does not parse. */
function producedAtOf(der: Uint8Array): Date | undefined {
  try {
    const response = AsnConvert.parse(der, OCSPResponse);
    const bytes = response.responseBytes?.response.buffer;
    if (!bytes) return undefined;
    return AsnConvert.parse(bytes, BasicOCSPResponse).tbsResponseData.producedAt;
  } catch {
    return undefined;
  }
}

/**
 * The revoked response recorded for `bundle`, validated as of its
 * producedAt. A record about another certificate (the file now holds a
 * reissued one) is removed; a record that cannot be read or does not verify
 * is logged and ignored.
 *
 * @param bundle The certificate.
 * @param staplePath Its staple (the record is kept beside it).
 * @param ctx How to validate the record.
 * @param store Where the record is kept.
 */
export async function readRevocation(
  bundle: CertBundle,
  staplePath: string,
  ctx: ValidationContext,
  store: StapleStore,
): Promise<ValidatedResponse | undefined> {
  const path = revocationPathFor(staplePath);
  const read = await store.readRevocation(staplePath);
  if (read.state === "missing") return undefined;
  const ignore = (reason: string) => {
    log.warn("ignoring the revocation record {record}: {reason}", {
      cert: bundle.path,
      record: path,
      reason,
    });
    return undefined;
  };
  if (read.state === "unusable") return ignore(read.reason);
  const producedAt = producedAtOf(read.bytes);
  if (!producedAt) return ignore("it is not an OCSP response");
  let recorded: ValidatedResponse;
  try {
    recorded = await validateOcspResponse(read.bytes, {
      ...ctx,
      nonce: undefined,
      now: producedAt,
    });
  } catch (err) {
    if (err instanceof OcspBadResponse && err.check === "cert-id") {
      // About another certificate: this file was reissued since.
      await store.removeRevocation(staplePath);
      log.info("removed {record}, the revocation record of the certificate this file held before", {
        cert: bundle.path,
        record: path,
      });
      return undefined;
    }
    return ignore(err instanceof StapledError ? err.reason : describeError(err));
  }
  if (recorded.status !== "revoked") return ignore("it is not a revoked response");
  return recorded;
}

/**
 * Records `response` (revoked) unless `recorded` is as new.
 *
 * @throws {StapleWriteError} When the record cannot be written.
 */
export async function recordRevocation(
  store: StapleStore,
  staplePath: string,
  response: ValidatedResponse,
  recorded: ValidatedResponse | undefined,
): Promise<void> {
  if (recorded && recorded.thisUpdate.getTime() >= response.thisUpdate.getTime()) return;
  await store.writeRevocation(staplePath, response.der);
}
