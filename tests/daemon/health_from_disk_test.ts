import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { buildOcspResponse } from "../../scripts/lib/ocsp_responder.ts";
import { ParsedCert } from "../../src/certs/mod.ts";
import { healthFromDisk } from "../../src/daemon/health_from_disk.ts";
import { certIdFor } from "../../src/ocsp/mod.ts";
import { checkHealth } from "../../src/cli/check_view.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { featuredLeaf } from "../certs/_featured_leaf.ts";

const root = await TestCa.root("Disk Health Root");
const ca = await root.intermediate("Disk Health CA");
const issuer = ParsedCert.parse(ca.der);
const ocspUrls = ["http://ocsp.disk.test/"];

async function staple(leaf: { der: Uint8Array }, spec: Record<string, unknown> = {}) {
  const certId = await certIdFor(issuer, ParsedCert.parse(leaf.der).serial);
  return await buildOcspResponse({ signer: ca, singles: [{ certId, ...spec }] });
}

Deno.test("healthFromDisk() reports each bundle's facts and its validated staple from the files on disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ms = await featuredLeaf(ca, "ms.disk.test", {
      ocspUrls,
      tlsFeatures: [5],
      dns: ["ms.disk.test", "www.disk.test"],
    });
    await writeBundle(`${dir}/ms.pem`, ms, [ca]);
    await Deno.writeFile(`${dir}/ms.pem.ocsp`, await staple(ms));
    const revoked = await ca.leaf("revoked.disk.test", { ocspUrls });
    await writeBundle(`${dir}/revoked.pem`, revoked, [ca]);
    await Deno.writeFile(`${dir}/revoked.pem.ocsp`, await staple(revoked, { status: "revoked" }));
    const none = await ca.leaf("none.disk.test", { ocspUrls });
    await writeBundle(`${dir}/none.pem`, none, [ca]);
    const wrong = await ca.leaf("wrong.disk.test", { ocspUrls });
    await writeBundle(`${dir}/wrong.pem`, wrong, [ca]);
    await Deno.writeFile(`${dir}/wrong.pem.ocsp`, await staple(none)); // another certificate's staple
    const lab = await ca.leaf("lab.disk.test");
    await writeBundle(`${dir}/lab.pem`, lab, [ca]);
    await Deno.writeTextFile(`${dir}/broken.pem`, "not a certificate");
    const crt = await ca.leaf("crt.disk.test", { ocspUrls });
    await writeBundle(`${dir}/site.crt`, crt, [ca]);
    await Deno.writeFile(`${dir}/site.ocsp`, await staple(crt));

    const snap = await healthFromDisk([
      `${dir}/ms.pem`,
      `${dir}/revoked.pem`,
      `${dir}/none.pem`,
      `${dir}/wrong.pem`,
      `${dir}/lab.pem`,
      `${dir}/broken.pem`,
      `${dir}/missing.pem`,
      { path: `${dir}/site.crt`, naming: "replace-ext" },
    ]);
    assert.equal(snap.source, "disk");
    const by = new Map(snap.certificates.map((c) => [c.path.slice(dir.length + 1), c]));
    const m = by.get("ms.pem")!;
    assert.equal(m.staple, "good");
    assert.equal(m.mustStaple, true);
    assert.equal(m.subject, "CN=ms.disk.test");
    assert.deepEqual(m.san, ["DNS:ms.disk.test", "DNS:www.disk.test"]);
    assert.deepEqual(m.ocspUrls, ocspUrls);
    assert.equal(m.serial, ParsedCert.parse(ms.der).serialHex);
    assert.ok(Date.parse(m.expiresAt!) > Date.now() + 2 * 86_400_000);
    assert.equal(by.get("revoked.pem")!.staple, "revoked");
    assert.ok(by.get("revoked.pem")!.revocationTime);
    assert.equal(by.get("none.pem")!.staple, "none");
    assert.match(by.get("none.pem")!.stapleNote!, /^no staple at .*none\.pem\.ocsp$/);
    assert.equal(by.get("wrong.pem")!.staple, "none");
    assert.match(
      by.get("wrong.pem")!.stapleNote!,
      /^staple on disk not valid: .*wrong\.pem\.ocsp: .*cert-id/,
    );
    assert.deepEqual([by.get("lab.pem")!.staple, by.get("lab.pem")!.ocspUrls], ["none", []]);
    assert.equal(by.get("broken.pem")!.parsed, false);
    assert.equal(by.get("broken.pem")!.lastError?.kind, "CertParsingError");
    assert.equal(by.get("missing.pem")!.lastError?.kind, "CertFileAccessError");
    assert.equal(by.get("site.crt")!.staple, "good", "ssl-load-extra-del-ext naming");
    assert.equal(checkHealth(snap).exitCode, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("healthFromDisk() validates at the clock's now: a staple past its expiry counts as none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const leaf = await ca.leaf("old.disk.test", { ocspUrls });
    await writeBundle(`${dir}/old.pem`, leaf, [ca]);
    await Deno.writeFile(
      `${dir}/old.pem.ocsp`,
      await staple(leaf, { nextUpdate: new Date(Date.now() + 3_600_000) }),
    );
    const now = await healthFromDisk([`${dir}/old.pem`]);
    assert.equal(now.certificates[0].staple, "good");
    assert.equal(
      checkHealth(now, { minimumValidity: 7200 }).exitCode,
      1,
      "valid for one hour: warning",
    );
    const later = await healthFromDisk([`${dir}/old.pem`], {
      clock: new FakeClock({ start: Date.now() + 2 * 3_600_000 }),
    });
    assert.equal(later.certificates[0].staple, "none");
    assert.match(later.certificates[0].stapleNote!, /not valid/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
