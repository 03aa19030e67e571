/**
 * The daemon end to end: main.ts with the binary's permissions, against
 * OpenSSL's real OCSP responder, with files changing under it and signals;
 * and in process on a fake clock for an outage and its retry.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { hasCommand } from "../_helpers/net.ts";
import { opensslResponder } from "../_helpers/openssl_responder.ts";
import { spawnStapled, stopStapled } from "../_helpers/run_stapled.ts";
import { Lines } from "../_helpers/output.ts";
import { exists } from "../_helpers/fs.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { Daemon } from "../../src/daemon/mod.ts";
import { FileStapleStore } from "../../src/staples/mod.ts";

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
  name:
    "the daemon keeps going while OpenSSL's responder is down and recovers at the first retry when it comes back",
  ignore: !haveOpenssl,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  // In process, on a fake clock: the retry a minute later comes at once; the
  // responder, the fetches and the staple files are real.
  const dir = await Deno.makeTempDir({ prefix: "stapled-outage-" });
  await Deno.mkdir(`${dir}/certs`);
  await Deno.mkdir(`${dir}/responder`);
  const responder = opensslResponder(`${dir}/responder`, ca);
  const leaf = await ca.leaf("outage.example.test", { ocspUrls: [responder.url] });
  await responder.writeIndex([{ cert: leaf }]);
  await writeBundle(`${dir}/certs/outage.pem`, leaf, [ca]);
  const clock = new FakeClock({ start: Date.now() });
  const daemon = new Daemon({
    sources: [{ paths: [`${dir}/certs`] }],
    clock,
    store: new FileStapleStore({ clock }),
    watch: false,
    timeout: 2,
    random: () => 0, // retries are spread up to 10 % later; 0: exactly the table's minute
  });
  const outcomes: string[] = [];
  daemon.on("outcome", (o) => {
    const err = o.error as { kind?: string } | undefined;
    outcomes.push(err?.kind ?? `${o.status} ${o.result?.action}`);
  });
  try {
    // The responder is down when the daemon starts: the first try fails.
    await daemon.start();
    await daemon.idle();
    assert.deepEqual(outcomes, ["OcspFetchError"]);
    assert.equal(await exists(`${dir}/certs/outage.pem.ocsp`), false);
    await responder.start();
    // The retry comes 60 s later (the first step of the retry table), and succeeds.
    await clock.advance(59_000);
    await daemon.idle();
    assert.equal(outcomes.length, 1, "no retry before a minute");
    await clock.advance(2_000);
    await daemon.idle();
    assert.deepEqual(outcomes, ["OcspFetchError", "stapled fetched"]);
    assert.equal(daemon.stats.failures, 1);
    const staple = await Deno.readFile(`${dir}/certs/outage.pem.ocsp`);
    await assertOpensslAccepts(staple, { leaf, issuer: ca, root }, { status: "good" });
  } finally {
    await daemon.stop(1000);
    await responder.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
