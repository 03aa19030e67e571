/**
 * Health end to end against a running daemon and a real HAProxy:
 * `stapled status` (table, `--json`, `--haproxy`) and `stapled check` over
 * the control socket, metrics scraped over HTTP and parsed, the control
 * socket refusing another user; then, with the daemon stopped, the same
 * from the files on disk, and `status --haproxy` flagging a staple on disk
 * that HAProxy does not serve.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { buildOcspResponse, caHandler, startResponder } from "../../scripts/lib/ocsp_responder.ts";
import { type CertBundle, readBundle } from "../../src/certs/mod.ts";
import { certIdFor } from "../../src/ocsp/mod.ts";
import type { HealthSnapshot } from "../../src/daemon/health.ts";
import { HAPROXY, startHaproxy } from "../_helpers/haproxy.ts";
import { freePort, hasCommand } from "../_helpers/net.ts";
import { Lines } from "../_helpers/output.ts";
import { runStapled, spawnStapled, stopStapled } from "../_helpers/run_stapled.ts";
import { featuredLeaf } from "../certs/_featured_leaf.ts";
import { parseExposition, value } from "../service/_prometheus.ts";

const haveTools = HAPROXY !== undefined && await hasCommand("openssl");
const canSwitchUser = Deno.uid() === 0 && await hasCommand("setpriv") &&
  await hasCommand("socat");
const root = await TestCa.root("Health E2E Root");
const ca = await root.intermediate("Health E2E CA");

Deno.test({
  name:
    "status, status --json, status --haproxy, check and metrics show the running daemon's staples; without it, the files on disk",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-health-" });
  const status = new Map<string, "good" | "revoked">();
  const responder = startResponder(caHandler(ca, status));
  const ocsp = { ocspUrls: [responder.url] };
  const a = await ca.leaf("a.example.test", ocsp);
  const must = await featuredLeaf(ca, "must.example.test", { ...ocsp, tlsFeatures: [5] });
  const plain = await ca.leaf("plain.example.test");
  status.set(a.serial, "good");
  status.set(must.serial, "good");
  await writeBundle(`${dir}/a.pem`, a, [ca]);
  await writeBundle(`${dir}/must.pem`, must, [ca]);
  await writeBundle(`${dir}/plain.pem`, plain, [ca]);
  await Deno.writeFile(`${dir}/a.pem.ocsp`, new Uint8Array());
  await Deno.writeFile(`${dir}/must.pem.ocsp`, new Uint8Array());
  const haproxy = await startHaproxy({
    dir,
    crts: [`${dir}/a.pem`, `${dir}/must.pem`, `${dir}/plain.pem`],
  });
  const control = `${dir}/run/control.sock`;
  const common = ["--haproxy-config", haproxy.configPath, "--control-socket", control];
  const metricsPort = freePort();
  const child = spawnStapled([...common, "--metrics-listen", String(metricsPort)]);
  const err = new Lines(child.stderr);
  const out = new Lines(child.stdout);
  try {
    await err.waitFor(/a\.pem\] Staple (updated|committed) on HAProxy socket/);
    await err.waitFor(/must\.pem\] Staple (updated|committed) on HAProxy socket/);

    await t.step("status prints the daemon's table, urgent first, Must-Staple marked", async () => {
      const run = await runStapled(["status", ...common]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /from the running daemon/);
      const rows = run.stdout.split("\n");
      const row = (name: string) => rows.find((l) => l.includes(`${dir}/${name}`)) ?? "";
      assert.match(row("a.pem"), /^good\s+-\s+\d+d/);
      assert.match(row("must.pem"), /^good\s+MUST-STAPLE/);
      assert.match(row("plain.pem"), /^no OCSP URL/);
      assert.ok(rows.indexOf(row("plain.pem")) > rows.indexOf(row("a.pem")), "no-ocsp last");
      assert.match(run.stdout, new RegExp(`${responder.url}\\S*\\s+up\\s+0`));
    });

    let daemonSnapshot: HealthSnapshot;
    await t.step("status --json is the daemon's snapshot", async () => {
      const run = await runStapled(["status", "--json", ...common]);
      assert.equal(run.code, 0, run.stderr);
      daemonSnapshot = JSON.parse(run.stdout);
      assert.equal(daemonSnapshot.source, "daemon");
      const byName = new Map(daemonSnapshot.certificates.map((c) => [c.path, c]));
      const ca1 = byName.get(`${dir}/a.pem`)!;
      assert.equal(ca1.staple, "good");
      assert.equal(ca1.subject, "CN=a.example.test");
      assert.ok(ca1.certIdKey?.startsWith("30"), "certIdKey");
      assert.ok(ca1.producedAt && ca1.nextRenewal && ca1.expiresAt);
      assert.deepEqual(ca1.pushes.map((p) => p.result), ["ok"]);
      assert.equal(byName.get(`${dir}/must.pem`)!.mustStaple, true);
      assert.deepEqual(byName.get(`${dir}/plain.pem`)!.ocspUrls, []);
      assert.equal(daemonSnapshot.responders.length, 1);
      assert.equal(daemonSnapshot.responders[0].up, true);
      assert.equal(daemonSnapshot.served, undefined);
    });

    await t.step("status --haproxy finds HAProxy serving exactly what is on disk", async () => {
      const run = await runStapled(["status", "--haproxy", "--json", ...common]);
      assert.equal(run.code, 0, run.stderr);
      const snapshot: HealthSnapshot = JSON.parse(run.stdout);
      assert.deepEqual(
        snapshot.served?.map((s) => [s.path, s.state]).sort(),
        [[`${dir}/a.pem`, "same"], [`${dir}/must.pem`, "same"]],
      );
      const table = await runStapled(["status", "--haproxy", ...common]);
      assert.doesNotMatch(table.stdout, /HAProxy .* serves/);
    });

    await t.step("check over the control socket is OK", async () => {
      const run = await runStapled(["check", ...common]);
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /^OCSP OK/);
    });

    await t.step("metrics are served over HTTP as Prometheus text", async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const { samples } = parseExposition(await res.text());
      const next = value(samples, "stapled_ocsp_response_next_update_timestamp_seconds", {
        path: `${dir}/a.pem`,
      });
      assert.ok(next !== undefined && next > Date.now() / 1000 + 3600, `nextUpdate ${next}`);
      assert.equal(value(samples, "stapled_ocsp_response_status", { path: `${dir}/a.pem` }), 0);
      assert.equal(value(samples, "stapled_certificates"), 3);
      assert.equal(
        value(samples, "stapled_responder_up", { responder: responder.url + "/" }) ??
          value(samples, "stapled_responder_up", { responder: responder.url }),
        1,
      );
      const pushed = samples.filter((s) =>
        s.name === "stapled_haproxy_push_total" && s.labels.result === "ok"
      ).reduce((n, s) => n + s.value, 0);
      assert.ok(pushed >= 2, `pushes ${pushed}`);
      assert.ok(
        (value(samples, "stapled_ocsp_fetch_total", { result: "ok" }) ?? 0) >= 2,
        "fetches counted",
      );
      const healthz = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
      assert.equal(healthz.status, 200);
      await healthz.body?.cancel();
    });

    await t.step({
      name: "the control socket is mode 0600 and refuses another user",
      ignore: !canSwitchUser,
      fn: async () => {
        assert.equal((await Deno.stat(control)).mode! & 0o777, 0o600);
        // The test dir is 0700: let uid 65534 reach the socket, so only its mode decides.
        await Deno.chmod(dir, 0o755);
        await Deno.chmod(`${dir}/run`, 0o755);
        const asNobody = await new Deno.Command("setpriv", {
          args: [
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            "socat",
            "-",
            `UNIX-CONNECT:${control}`,
          ],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = asNobody.stdin.getWriter();
        await writer.write(new TextEncoder().encode('{"get":"status"}\n'));
        await writer.close();
        const result = await asNobody.output();
        assert.notEqual(result.code, 0);
        assert.equal(result.stdout.length, 0, "no answer");
        assert.match(new TextDecoder().decode(result.stderr), /Permission denied/);
      },
    });

    await t.step("SIGTERM stops the daemon and removes the control socket", async () => {
      assert.equal(await stopStapled(child, [err, out]), 0);
      await assert.rejects(Deno.lstat(control), Deno.errors.NotFound);
    });

    await t.step("without a daemon, status reads the same from the files on disk", async () => {
      const run = await runStapled(["status", "--json", ...common]);
      assert.equal(run.code, 0, run.stderr);
      const disk: HealthSnapshot = JSON.parse(run.stdout);
      assert.equal(disk.source, "disk");
      const pick = (s: HealthSnapshot) =>
        s.certificates.map((c) => [c.path, c.staple, c.mustStaple, c.certIdKey, c.nextUpdate]);
      assert.deepEqual(pick(disk), pick(daemonSnapshot!));
      const table = await runStapled(["status", ...common]);
      assert.match(table.stdout, /from the files on disk, no daemon answered/);
      const check = await runStapled(["check", ...common]);
      assert.equal(check.code, 0, check.stdout);
    });

    await t.step("status --haproxy flags a staple on disk HAProxy does not serve", async () => {
      // A newer response written behind HAProxy's back (no daemon to push it).
      const bundle = await readBundle(`${dir}/a.pem`) as CertBundle;
      const now = Date.now();
      const der = await buildOcspResponse({
        signer: ca,
        producedAt: new Date(now - 30 * 60_000),
        singles: [{
          certId: await certIdFor(bundle.issuer, bundle.leaf.serial),
          thisUpdate: new Date(now - 30 * 60_000),
          nextUpdate: new Date(now + 2 * 86_400_000),
        }],
      });
      await Deno.writeFile(`${dir}/a.pem.ocsp`, der);
      const run = await runStapled(["status", "--haproxy", "--json", ...common]);
      assert.equal(run.code, 0, run.stderr);
      const served = (JSON.parse(run.stdout) as HealthSnapshot).served ?? [];
      const rowA = served.find((s) => s.path === `${dir}/a.pem`);
      assert.equal(rowA?.state, "differs");
      assert.match(rowA?.detail ?? "", /thisUpdate/);
      assert.equal(served.find((s) => s.path === `${dir}/must.pem`)?.state, "same");
      const table = await runStapled(["status", "--haproxy", ...common]);
      assert.match(
        table.stdout.split("\n").find((l) => l.includes(`${dir}/a.pem`)) ?? "",
        /HAProxy \S+ serves another response/,
      );
    });
  } finally {
    await stopStapled(child, [err, out]);
    await haproxy.stop();
    await responder.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a control socket that cannot be created is a warning: the daemon runs on",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-nocontrol-" });
  await Deno.writeTextFile(`${dir}/not-a-dir`, "");
  const child = spawnStapled(["-p", dir, "--control-socket", `${dir}/not-a-dir/control.sock`]);
  const err = new Lines(child.stderr);
  const out = new Lines(child.stdout);
  try {
    const [line] = await err.waitFor(/no control socket/);
    assert.match(line, /WARN/i);
    await err.waitFor(/stapled daemon started/);
    assert.equal(await stopStapled(child, [err, out]), 0);
  } finally {
    await stopStapled(child, [err, out]);
    await Deno.remove(dir, { recursive: true });
  }
});
