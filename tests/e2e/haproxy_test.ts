/**
 * HAProxy end to end: a real HAProxy on loopback, stapled run as
 * `stapled --haproxy-config <cfg>` and nothing else, staples served without
 * restarting HAProxy (also for a certificate that had no .ocsp at start), and
 * stapled reconnecting after HAProxy restarts.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { caHandler, startResponder } from "../../scripts/lib/ocsp_responder.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";
import { HAPROXY, servedStaple, startHaproxy } from "../_helpers/haproxy.ts";
import { hasCommand } from "../_helpers/net.ts";
import { Lines } from "../_helpers/output.ts";
import { runStapled, spawnStapled, stopStapled } from "../_helpers/run_stapled.ts";

const haveTools = HAPROXY !== undefined && await hasCommand("openssl");
const root = await TestCa.root("HAProxy E2E Root");
const ca = await root.intermediate("HAProxy E2E CA");

Deno.test({
  name: "stapled --haproxy-config alone makes HAProxy serve good staples without a restart",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-haproxy-" });
  const status = new Map<string, "good" | "revoked">();
  const responder = startResponder(caHandler(ca, status));
  const ocsp = { ocspUrls: [responder.url] };
  const a = await ca.leaf("a.example.test", ocsp);
  const b = await ca.leaf("b.example.test", ocsp);
  const plain = await ca.leaf("plain.example.test");
  status.set(a.serial, "good");
  status.set(b.serial, "good");
  await writeBundle(`${dir}/a.pem`, a, [ca]);
  await writeBundle(`${dir}/b.pem`, b, [ca]);
  await writeBundle(`${dir}/plain.pem`, plain, [ca]);
  // a.pem had an (empty) staple when HAProxy started; b.pem had none, so
  // HAProxy only takes its staple through a `set ssl cert` transaction.
  await Deno.writeFile(`${dir}/a.pem.ocsp`, new Uint8Array());
  const haproxy = await startHaproxy({
    dir,
    crts: [`${dir}/a.pem`, `${dir}/b.pem`, `${dir}/plain.pem`],
  });
  const pid = haproxy.pid;
  const child = spawnStapled(["--haproxy-config", haproxy.configPath]);
  const err = new Lines(child.stderr);
  const out = new Lines(child.stdout);
  try {
    await t.step("both certificates with an OCSP URL are served with a good staple", async () => {
      await err.waitFor(/a\.pem\] Staple (updated|committed) on HAProxy socket/);
      await err.waitFor(/b\.pem\] Staple (updated|committed) on HAProxy socket/);
      for (const name of ["a.example.test", "b.example.test"]) {
        const served = await servedStaple(haproxy.tlsPort, name);
        assert.equal(served.certStatus, "good", `${name}: ${served.text.slice(0, 400)}`);
      }
      assert.match(
        err.lines.join("\n"),
        /b\.pem\] Staple committed/,
        "b.pem went through the transaction",
      );
      for (const [name, leaf] of [["a", a], ["b", b]] as const) {
        const staple = await Deno.readFile(`${dir}/${name}.pem.ocsp`);
        await assertOpensslAccepts(staple, { leaf, issuer: ca, root }, { status: "good" });
      }
      assert.equal(haproxy.pid, pid, "HAProxy was not restarted");
      assert.equal(
        (await servedStaple(haproxy.tlsPort, "plain.example.test")).certStatus,
        undefined,
      );
    });

    await t.step("after HAProxy restarts, stapled reconnects and pushes again", async () => {
      const before = err.count(/Staple (updated|committed) on HAProxy socket/);
      await haproxy.restart();
      await err.waitFor(/Staple (updated|committed) on HAProxy socket/, {
        count: before + 2,
        timeoutMs: 30_000,
      });
      assert.equal((await servedStaple(haproxy.tlsPort, "b.example.test")).certStatus, "good");
    });

    await t.step("SIGTERM stops stapled with status 0", async () => {
      assert.equal(await stopStapled(child, [err, out]), 0);
    });
  } finally {
    await stopStapled(child, [err, out]);
    await haproxy.stop();
    await responder.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "a stats socket that does not exist gives an error line and retries; staples are still written",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-nosock-" });
  const status = new Map<string, "good" | "revoked">();
  const responder = startResponder(caHandler(ca, status));
  const leaf = await ca.leaf("nosock.example.test", { ocspUrls: [responder.url] });
  status.set(leaf.serial, "good");
  await writeBundle(`${dir}/site.pem`, leaf, [ca]);
  await Deno.writeTextFile(
    `${dir}/haproxy.cfg`,
    `global\n  stats socket ${dir}/missing.sock level admin\nfrontend f\n  bind 127.0.0.1:1 ssl crt ${dir}/site.pem\n`,
  );
  const child = spawnStapled(["--haproxy-config", `${dir}/haproxy.cfg`]);
  const err = new Lines(child.stderr);
  const out = new Lines(child.stdout);
  try {
    await err.waitFor(/site\.pem\] staple fetched from/);
    await err.waitFor(/site\.pem\] Cannot staple on HAProxy socket .*missing\.sock/);
    const staple = await Deno.readFile(`${dir}/site.pem.ocsp`);
    await assertOpensslAccepts(staple, { leaf, issuer: ca, root }, { status: "good" });
    // Still running.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await stopStapled(child, [err, out]), 0);
  } finally {
    await stopStapled(child, [err, out]);
    await responder.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "--check-config prints the certificates and sockets a HAProxy configuration serves",
  ignore: !haveTools,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-check-" });
  try {
    const leaf = await ca.leaf("check.example.test", { ocspUrls: ["http://127.0.0.1:9/ocsp"] });
    const plain = await ca.leaf("plain.example.test");
    await writeBundle(`${dir}/check.pem`, leaf, [ca]);
    await writeBundle(`${dir}/plain.pem`, plain, [ca]);
    await Deno.writeTextFile(`${dir}/broken.pem`, "not a certificate");
    await Deno.writeTextFile(
      `${dir}/haproxy.cfg`,
      [
        "global",
        `  stats socket ${dir}/admin.sock level admin`,
        "  stats socket ipv4@127.0.0.1:9999 level admin",
        "frontend f",
        `  bind 127.0.0.1:1 ssl crt "${dir}/check.pem" crt ${dir}/plain.pem`,
        "",
      ].join("\n"),
    );
    const ok = await runStapled(["--check-config", "--haproxy-config", `${dir}/haproxy.cfg`]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(
      ok.stdout,
      new RegExp(
        `${dir}/check\\.pem: OCSP http://127\\.0\\.0\\.1:9/ocsp; issuer in the bundle; staple ${dir}/check\\.pem\\.ocsp; pushed to ${dir}/admin\\.sock, 127\\.0\\.0\\.1:9999`,
      ),
    );
    assert.match(ok.stdout, /plain\.pem: no OCSP URL, skipped/);
    assert.match(ok.stdout, /sockets:\n {2}.*admin\.sock\n {2}127\.0\.0\.1:9999/);
    const bad = await runStapled([
      "--check-config",
      "--haproxy-config",
      `${dir}/haproxy.cfg`,
      "-p",
      `${dir}/broken.pem`,
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stdout, /broken\.pem: ERROR: no certificate found/);
    const missing = await runStapled(["--check-config", "--haproxy-config", `${dir}/nope.cfg`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.cfg/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a certificate added to a crt-list is stapled at the next scan, without SIGHUP",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-crtlist-" });
  const status = new Map<string, "good" | "revoked">();
  const responder = startResponder(caHandler(ca, status));
  const first = await ca.leaf("one.example.test", { ocspUrls: [responder.url] });
  const second = await ca.leaf("two.example.test", { ocspUrls: [responder.url] });
  status.set(first.serial, "good");
  status.set(second.serial, "good");
  await writeBundle(`${dir}/one.pem`, first, [ca]);
  await writeBundle(`${dir}/two.pem`, second, [ca]);
  await Deno.writeTextFile(`${dir}/list.txt`, `${dir}/one.pem\n`);
  await Deno.writeTextFile(
    `${dir}/haproxy.cfg`,
    `frontend f\n  bind 127.0.0.1:1 ssl crt-list ${dir}/list.txt\n`,
  );
  const child = spawnStapled(["--haproxy-config", `${dir}/haproxy.cfg`, "-r", "1", "--no-watch"]);
  const err = new Lines(child.stderr);
  const out = new Lines(child.stdout);
  try {
    await err.waitFor(/one\.pem\] staple fetched from/);
    await Deno.writeTextFile(
      `${dir}/list.txt`,
      `${dir}/one.pem\n${dir}/two.pem [ocsp-update off]\n`,
    );
    await err.waitFor(/crt-list file changed: reading the configuration again/);
    await err.waitFor(/two\.pem\] staple fetched from/);
    const staple = await Deno.readFile(`${dir}/two.pem.ocsp`);
    await assertOpensslAccepts(staple, { leaf: second, issuer: ca, root }, { status: "good" });
  } finally {
    await stopStapled(child, [err, out]);
    await responder.close();
    await Deno.remove(dir, { recursive: true });
  }
});
