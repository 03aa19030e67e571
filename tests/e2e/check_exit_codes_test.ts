/**
 * `stapled check` end to end, without a daemon (the files on disk, written
 * by `stapled --one-off` from a real responder): exit 0 OK, 1 WARNING for a
 * CA whose responses are valid for one hour, 2 CRITICAL for a certificate
 * without a staple or a revoked one, 3 UNKNOWN when it cannot tell (an
 * unreadable certificate, a bad configuration, a control socket answering
 * garbage).
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { caHandler, startResponder } from "../../scripts/lib/ocsp_responder.ts";
import { runStapled } from "../_helpers/run_stapled.ts";

const root = await TestCa.root("Check E2E Root");
const ca = await root.intermediate("Check E2E CA");
const HOUR = 3_600_000;

Deno.test({
  name: "stapled check exits 0, 1, 2 or 3 as a Nagios plugin",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const base = await Deno.makeTempDir({ prefix: "stapled-check-codes-" });
  const status = new Map<string, "good" | "revoked">();
  const longLived = startResponder(caHandler(ca, status));
  const oneHour = startResponder(caHandler(ca, status, { validityMs: HOUR }));
  const control = ["--control-socket", `${base}/control.sock`];
  const site = async (name: string, url: string, state: "good" | "revoked" = "good") => {
    const dir = `${base}/${name}`;
    await Deno.mkdir(dir);
    const leaf = await ca.leaf(`${name}.example.test`, { ocspUrls: [url] });
    status.set(leaf.serial, state);
    await writeBundle(`${dir}/site.pem`, leaf, [ca]);
    return dir;
  };
  try {
    const ok = await site("ok", longLived.url);
    const warning = await site("warning", oneHour.url);
    const revoked = await site("revoked", longLived.url, "revoked");
    for (const dir of [ok, warning, revoked]) {
      const run = await runStapled(["--one-off", "-p", dir, ...control]);
      assert.ok(run.code === 0 || run.code === 1, run.stderr);
    }

    await t.step("0: every staple valid for longer than --minimum-validity", async () => {
      const run = await runStapled(["check", "-p", ok, ...control]);
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /^OCSP OK - /);
      assert.equal(run.stdout.trim().split("\n").length, 1, "one line");
    });

    await t.step("1: a CA whose responses are valid for one hour", async () => {
      const run = await runStapled(["check", "-v", "-p", warning, ...control]);
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stdout, /^OCSP WARNING - /);
      assert.match(run.stdout, /site\.pem/, "-v names the certificate");
      const relaxed = await runStapled([
        "check",
        "--minimum-validity",
        "600",
        "-p",
        warning,
        ...control,
      ]);
      assert.equal(relaxed.code, 0, relaxed.stdout);
    });

    await t.step("2: a certificate without a staple, and a revoked one", async () => {
      const none = await site("none", longLived.url);
      const run = await runStapled(["check", "-p", none, ...control]);
      assert.equal(run.code, 2, run.stdout);
      assert.match(run.stdout, /^OCSP CRITICAL - /);
      const rev = await runStapled(["check", "-p", revoked, ...control]);
      assert.equal(rev.code, 2, rev.stdout);
      const mixed = await runStapled(["check", "-p", ok, warning, none, ...control]);
      assert.equal(mixed.code, 2, "the worst wins");
    });

    await t.step("3: it cannot tell", async () => {
      const broken = `${base}/broken`;
      await Deno.mkdir(broken);
      await Deno.writeTextFile(`${broken}/site.pem`, "not a certificate");
      const unreadable = await runStapled(["check", "-p", broken, ...control]);
      assert.equal(unreadable.code, 3, unreadable.stdout);
      assert.match(unreadable.stdout, /^OCSP UNKNOWN - /);
      const badConfig = await runStapled(["check", "--timeout", "-1", "-p", ok]);
      assert.equal(badConfig.code, 3, badConfig.stdout);
      assert.match(badConfig.stdout, /^OCSP UNKNOWN - --timeout/);
      const nothing = await runStapled(["check", ...control]);
      assert.equal(nothing.code, 3, nothing.stdout);
      // A mistyped path or the wrong directory must not read as "all good".
      const missing = await runStapled(["check", "-p", `${base}/no-such-dir`, ...control]);
      assert.equal(missing.code, 3, missing.stdout);
      assert.match(missing.stdout, /^OCSP UNKNOWN - cannot read cert path .*no-such-dir/);
      const empty = `${base}/empty`;
      await Deno.mkdir(empty);
      const none = await runStapled(["check", "-p", empty, ...control]);
      assert.equal(none.code, 3, none.stdout);
      assert.match(none.stdout, /^OCSP UNKNOWN - found no certificate file in .*empty/);
      // Something that is not stapled listens on the control socket.
      const path = `${base}/garbage.sock`;
      const listener = Deno.listen({ transport: "unix", path });
      const serving = (async () => {
        for await (const conn of listener) {
          await conn.read(new Uint8Array(4096));
          await conn.write(new TextEncoder().encode("hello\n"));
          conn.close();
        }
      })();
      const garbage = await runStapled(["check", "-p", ok, "--control-socket", path]);
      listener.close();
      await serving.catch(() => {});
      assert.equal(garbage.code, 3, garbage.stdout);
      assert.match(garbage.stdout, /^OCSP UNKNOWN - .*not JSON/);
    });

    await t.step("status without a daemon prints the table from the files on disk", async () => {
      const run = await runStapled(["status", "-p", ok, warning, revoked, ...control]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /from the files on disk, no daemon answered/);
      const lines = run.stdout.split("\n");
      const at = (dir: string) => lines.findIndex((l) => l.includes(`${dir}/site.pem`));
      assert.match(lines[at(revoked)], /^REVOKED/);
      assert.match(lines[at(warning)], /^EXPIRING/);
      assert.match(lines[at(ok)], /^good/);
      assert.ok(at(revoked) < at(warning) && at(warning) < at(ok), "sorted by urgency");
    });
  } finally {
    await longLived.close();
    await oneHour.close();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("stapled --help shows the status and check subcommands", async () => {
  const run = await runStapled(["--help"]);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /stapled status \[--json\] \[--haproxy\]/);
  assert.match(run.stdout, /stapled check \[-v\] \[--minimum-validity N\]/);
  assert.match(run.stdout, /--control-socket <PATH>/);
  assert.match(run.stdout, /--metrics-listen <ADDR>/);
});

Deno.test("a bad --metrics-listen is a configuration error (exit 2)", async () => {
  const run = await runStapled(["-p", "/nonexistent", "--metrics-listen", "127.0.0.1:99999"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--metrics-listen/);
});
