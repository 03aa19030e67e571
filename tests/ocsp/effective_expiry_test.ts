/**
 * The effective expiry, min(nextUpdate, thisUpdate + 10 days), as
 * mozilla::pkix computes it: responses clients no longer accept are never
 * stapled, and every time stapled reports or schedules by uses it.
 */
import assert from "node:assert/strict";
import { TestCa } from "../../scripts/lib/pki.ts";
import { buildOcspResponse } from "../../scripts/lib/ocsp_responder.ts";
import { ParsedCert } from "../../src/certs/mod.ts";
import { OcspBadResponse } from "../../src/errors/mod.ts";
import {
  certIdFor,
  effectiveExpiry,
  MAX_RESPONSE_LIFETIME_MS,
  validateOcspResponse,
} from "../../src/ocsp/mod.ts";
import { nextRenewalAt } from "../../src/daemon/policy.ts";

const NOW = new Date(Math.floor(Date.now() / 1000) * 1000); // responses carry whole seconds
const H = 3_600_000;
const DAY = 24 * H;
const at = (ms: number) => new Date(NOW.getTime() + ms);

const root = await TestCa.root("Expiry Root");
const ca = await root.intermediate("Expiry CA");
const leafCert = await ca.leaf("expiry.example.test", { ocspUrls: ["http://127.0.0.1:1"] });
const issuer = ParsedCert.parse(ca.der);
const certId = await certIdFor(issuer, ParsedCert.parse(leafCert.der).serial);

function respond(thisUpdate: Date, nextUpdate: Date): Promise<Uint8Array> {
  return buildOcspResponse({ signer: ca, singles: [{ certId, thisUpdate, nextUpdate }] });
}

function validate(der: Uint8Array) {
  return validateOcspResponse(der, { file: "site.pem", certId, issuer, now: NOW });
}

Deno.test("a response older than 10 days is never stapled, whatever its nextUpdate says", async () => {
  await assert.rejects(validate(await respond(at(-30 * DAY), at(2 * DAY))), (err: unknown) => {
    assert.ok(err instanceof OcspBadResponse);
    assert.equal(err.check, "next-update");
    assert.match(err.message, /expired at .* \+ 10 days, the longest clients accept/);
    return true;
  });
});

Deno.test("a response whose 10 days end within 5 minutes is not stapled", async () => {
  await assert.rejects(
    validate(await respond(at(-10 * DAY + 4 * 60_000), at(5 * DAY))),
    /within 5 minutes/,
  );
});

Deno.test("a fresh response with a 60-day interval is valid for 10 days only", async () => {
  const thisUpdate = at(-H);
  const result = await validate(await respond(thisUpdate, at(60 * DAY)));
  assert.equal(result.status, "good");
  assert.equal(result.expiresAt.getTime(), thisUpdate.getTime() + MAX_RESPONSE_LIFETIME_MS);
  assert.equal(result.nextUpdate.getTime(), at(60 * DAY).getTime());
});

Deno.test("a response within the 10 days expires at its nextUpdate", () => {
  assert.equal(effectiveExpiry(at(-H), at(3 * DAY)).getTime(), at(3 * DAY).getTime());
});

Deno.test("the renewal time of a 60-day response is set by its effective expiry", () => {
  const thisUpdate = at(-H);
  const due = nextRenewalAt({
    now: NOW.getTime(),
    thisUpdate,
    expiresAt: effectiveExpiry(thisUpdate, at(60 * DAY)),
    minimumValidity: 7200,
    random: 0,
  });
  // Midpoint of thisUpdate .. thisUpdate + 10 days, not of the 60 days.
  assert.equal(due, thisUpdate.getTime() + 5 * DAY);
});
