/**
 * The daemon end to end: main.ts with the binary's permissions, against
 * OpenSSL's real OCSP responder, with files changing under it and signals.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { hasCommand } from "../_helpers/net.ts";
import { opensslResponder } from "../_helpers/openssl_responder.ts";
import { spawnStapled, stopStapled } from "../_helpers/run_stapled.ts";
import { Lines } from "../_helpers/output.ts";
import { exists } from "../_helpers/fs.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";

const haveOpenssl = await hasCommand("openssl");
const root = await TestCa.root("Daemon E2E Root");
const ca = await root.intermediate("Daemon E2E CA");

Deno.test({
  name:
    "the daemon staples, follows replaced and deleted files, rescans on SIGHUP and exits 0 on SIGTERM",
  ignore: !haveOpenssl,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-daemon-e2e-" });
  const certs = `${dir}/certs`;
  await Deno.mkdir(certs);
  await Deno.mkdir(`${dir}/responder`);
  const responder = opensslResponder(`${dir}/responder`, ca);
  const ocsp = { ocspUrls: [responder.url] };
  const first = await ca.leaf("first.example.test", ocsp);
  const second = await ca.leaf("second.example.test", ocsp);
  const renewed = await ca.leaf("first.example.test", ocsp);
  const late = await ca.leaf("late.example.test", ocsp);
  await responder.writeIndex([{ cert: first }, { cert: second }, { cert: renewed }, {
    cert: late,
  }]);
  await responder.start();
  await writeBundle(`${certs}/first.pem`, first, [ca]);
  await writeBundle(`${certs}/second.pem`, second, [ca]);
  // A long refresh interval and no file watching: only SIGHUP makes it look again.
  const child = spawnStapled(["-p", certs, "-r", "3600", "--no-watch", "-v", "-v", "-v", "-v"]);
  const out = new Lines(child.stdout);
  const err = new Lines(child.stderr);
  try {
    await t.step("staples appear for every certificate", async () => {
      await err.waitFor(/first\.pem\] staple fetched from/);
      await err.waitFor(/second\.pem\] staple fetched from/);
      assert.ok(await exists(`${certs}/first.pem.ocsp`));
      assert.ok(await exists(`${certs}/second.pem.ocsp`));
      for (const [name, leaf] of [["first", first], ["second", second]] as const) {
        const staple = await Deno.readFile(`${certs}/${name}.pem.ocsp`);
        await assertOpensslAccepts(staple, { leaf, issuer: ca, root }, { status: "good" });
      }
    });

    await t.step("a replaced certificate gets a new staple after SIGHUP", async () => {
      const before = await Deno.readFile(`${certs}/first.pem.ocsp`);
      await writeBundle(`${certs}/.first.tmp`, renewed, [ca]);
      await Deno.rename(`${certs}/.first.tmp`, `${certs}/first.pem`);
      child.kill("SIGHUP");
      await err.waitFor(/first\.pem\] staple fetched from/, { count: 2 });
      const after = await Deno.readFile(`${certs}/first.pem.ocsp`);
      assert.notDeepEqual(after, before);
      await assertOpensslAccepts(after, { leaf: renewed, issuer: ca, root }, { status: "good" });
    });

    await t.step("a new file is picked up by SIGHUP at once", async () => {
      await writeBundle(`${certs}/late.pem`, late, [ca]);
      child.kill("SIGHUP");
      await err.waitFor(/late\.pem\] staple fetched from/);
    });

    await t.step("a deleted file is forgotten", async () => {
      await Deno.remove(`${certs}/second.pem`);
      child.kill("SIGHUP");
      await err.waitFor(/SIGHUP received/, { count: 3 });
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(err.count(/second\.pem\] staple fetched/), 1);
    });

    await t.step("SIGTERM stops it with exit status 0 within 5 s", async () => {
      const start = Date.now();
      child.kill("SIGTERM");
      const status = await child.status;
      assert.equal(status.code, 0);
      assert.ok(Date.now() - start < 5000, `took ${Date.now() - start} ms`);
      await err.waitFor(/SIGTERM received, stopping/);
    });
  } finally {
    await stopStapled(child, [out, err]);
    await responder.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the daemon keeps going while the responder is down and recovers when it comes back",
  ignore: !haveOpenssl,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-outage-" });
  await Deno.mkdir(`${dir}/certs`);
  await Deno.mkdir(`${dir}/responder`);
  const responder = opensslResponder(`${dir}/responder`, ca);
  const leaf = await ca.leaf("outage.example.test", { ocspUrls: [responder.url] });
  await responder.writeIndex([{ cert: leaf }]);
  await writeBundle(`${dir}/certs/outage.pem`, leaf, [ca]);
  // The responder is down when the daemon starts: the first try fails, the
  // retry comes 60 s later (the first step of the retry table).
  const child = spawnStapled(["-p", `${dir}/certs`, "--timeout", "2"]);
  const err = new Lines(child.stderr);
  const out = new Lines(child.stdout);
  try {
    await err.waitFor(/outage\.pem\] .*cannot reach the responder.*retry 1 in 1 min/);
    assert.equal(await exists(`${dir}/certs/outage.pem.ocsp`), false);
    await responder.start();
    await err.waitFor(/outage\.pem\] staple fetched from .*\(recovered after 1 failed attempt\)/, {
      timeoutMs: 75_000,
    });
    const staple = await Deno.readFile(`${dir}/certs/outage.pem.ocsp`);
    await assertOpensslAccepts(staple, { leaf, issuer: ca, root }, { status: "good" });
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
  } finally {
    await stopStapled(child, [out, err]);
    await responder.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
