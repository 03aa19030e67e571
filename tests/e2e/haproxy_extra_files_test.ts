/**
 * HAProxy's `ssl-load-extra-files` and `ssl-load-extra-del-ext` end to end:
 * `stapled --one-off --haproxy-config <cfg>` (main.ts with the binary's
 * permissions) against OpenSSL's OCSP responder, then the real HAProxy's
 * `haproxy -c -f <cfg>`, which must accept what stapled left on disk in every
 * configuration; staples are written where HAProxy reads them and verified
 * by `openssl ocsp`.
 */
import assert from "node:assert/strict";
import { type Issued, TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { exists } from "../_helpers/fs.ts";
import { HAPROXY, servedStaple, startHaproxy } from "../_helpers/haproxy.ts";
import { hasCommand } from "../_helpers/net.ts";
import { opensslResponder, opensslVerifyStaple } from "../_helpers/openssl_responder.ts";
import { Lines } from "../_helpers/output.ts";
import { runStapled, spawnStapled, stopStapled } from "../_helpers/run_stapled.ts";

const haveTools = HAPROXY !== undefined && await hasCommand("openssl");

/** `haproxy -c -f <cfg>`: whether HAProxy would start with what is on disk. */
async function haproxyCheck(cfg: string): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command(HAPROXY ?? "haproxy", {
    args: ["-c", "-f", cfg],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { ok: out.success, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** A config serving `crts` on a TLS bind, with `global` lines and no stats socket. */
async function writeConfig(dir: string, globalLines: string[], crts: string[]): Promise<string> {
  const cfg = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "global",
      ...globalLines.map((l) => `  ${l}`),
      "defaults",
      "  mode tcp",
      "  timeout connect 1s",
      "  timeout client 1s",
      "  timeout server 1s",
      "frontend tls",
      `  bind 127.0.0.1:1 ssl ${crts.map((c) => `crt ${dir}/${c}`).join(" ")}`,
      "",
    ].join("\n"),
  );
  return cfg;
}

function lineOf(stdout: string, path: string): string {
  return stdout.split("\n").find((l) => l.startsWith(`${path}:`)) ?? "";
}

Deno.test({
  name:
    "a one-off follows ssl-load-extra-files and ssl-load-extra-del-ext, and haproxy -c then accepts every configuration",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-extra-files-" });
  const root = await TestCa.root("Extra Files E2E Root");
  const ca = await root.intermediate("Extra Files E2E CA");
  await Deno.mkdir(`${dir}/responder`);
  const responder = opensslResponder(`${dir}/responder`, ca);
  const leaves: Issued[] = [];
  const leaf = async (name: string) => {
    const issued = await ca.leaf(`${name}.extra.test`, { ocspUrls: [responder.url] });
    leaves.push(issued);
    return issued;
  };
  await Deno.writeTextFile(`${dir}/ca.pem`, ca.pem);
  await Deno.writeTextFile(`${dir}/trust.pem`, root.pem + ca.pem);
  /** openssl ocsp verifies `staple` as a good response for `cert`. */
  const verify = async (staple: string, cert: Issued) => {
    await Deno.writeTextFile(`${dir}/leaf.pem`, cert.pem);
    const check = await opensslVerifyStaple(
      staple,
      `${dir}/ca.pem`,
      `${dir}/leaf.pem`,
      `${dir}/trust.pem`,
    );
    assert.ok(check.ok, check.output);
    assert.match(check.output, /: good/);
  };
  /** A bundle whose issuer is only in `<issuerFile>` beside it. */
  const withIssuerFile = async (path: string, issuerFile: string, cert: Issued) => {
    await writeBundle(path, cert, []);
    await Deno.writeTextFile(issuerFile, ca.pem);
  };

  const noIssuer = { file: await leaf("no-issuer-file"), bundled: await leaf("no-issuer-bundled") };
  const byDefault = await leaf("default");
  const delExt = { ok: await leaf("del-ext"), wrong: await leaf("del-ext-wrong") };
  const noOcsp = { file: await leaf("no-ocsp-file"), bundled: await leaf("no-ocsp-bundled") };
  await responder.writeIndex(leaves.map((cert) => ({ cert })));
  await responder.start();
  try {
    await t.step(
      "without 'issuer', a bundle lacking its issuer gets no staple and haproxy -c passes",
      async () => {
        const d = `${dir}/no-issuer`;
        await Deno.mkdir(d);
        await withIssuerFile(`${d}/file.pem`, `${d}/file.pem.issuer`, noIssuer.file);
        await writeBundle(`${d}/bundled.pem`, noIssuer.bundled, [ca]);
        const cfg = await writeConfig(d, ["ssl-load-extra-files key ocsp"], [
          "file.pem",
          "bundled.pem",
        ]);
        const run = await runStapled(["--one-off", "--haproxy-config", cfg, "-q"]);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(
          lineOf(run.stdout, `${d}/file.pem`),
          /: FAILED: issuer missing: .*not in the bundle; HAProxy does not read .*file\.pem\.issuer .* add 'issuer' to ssl-load-extra-files or put the issuer in the bundle$/,
        );
        assert.match(lineOf(run.stdout, `${d}/bundled.pem`), /: good, valid until/);
        assert.equal(await exists(`${d}/file.pem.ocsp`), false, "no staple HAProxy cannot match");
        await verify(`${d}/bundled.pem.ocsp`, noIssuer.bundled);
        const haproxy = await haproxyCheck(cfg);
        assert.ok(haproxy.ok, haproxy.output);
        // A staple left there (by an earlier stapled) makes HAProxy refuse to
        // start; --check-config says so.
        await Deno.writeFile(`${d}/file.pem.ocsp`, new Uint8Array());
        assert.equal((await haproxyCheck(cfg)).ok, false, "the issue's failure is reproduced");
        const check = await runStapled(["--check-config", "--haproxy-config", cfg]);
        assert.equal(check.code, 2, check.stdout + check.stderr);
        const checkLine = lineOf(check.stdout, `  ${d}/file.pem`);
        assert.match(checkLine, /ERROR: issuer missing: the issuing CA of .* is not in the bundle/);
        assert.match(
          checkLine,
          /HAProxy does not read .*file\.pem\.issuer \(ssl-load-extra-files at .*haproxy\.cfg:2 has no 'issuer'\)/,
        );
        assert.match(
          checkLine,
          /file\.pem\.ocsp exists and makes HAProxy refuse to start: remove it$/,
        );
        assert.match(
          lineOf(check.stdout, `  ${d}/bundled.pem`),
          /issuer in the bundle; staple .*bundled\.pem\.ocsp \(loaded by HAProxy when it starts \(ssl-load-extra-files at .*:2 has 'ocsp'\); its issuer must be in the bundle \(no 'issuer'\)\)/,
        );
        await Deno.remove(`${d}/file.pem.ocsp`);
      },
    );

    await t.step(
      "the daemon applies the same rule: no staple without a findable issuer, haproxy -c passes",
      async () => {
        const d = `${dir}/no-issuer`;
        await Deno.remove(`${d}/bundled.pem.ocsp`);
        const cfg = `${d}/haproxy.cfg`;
        const child = spawnStapled(["--haproxy-config", cfg, "--no-watch"]);
        const err = new Lines(child.stderr);
        const out = new Lines(child.stdout);
        try {
          await err.waitFor(/bundled\.pem\] staple fetched from/);
          await err.waitFor(
            /file\.pem\] issuer missing: .*add 'issuer' to ssl-load-extra-files or put the issuer in the bundle; looking again in/,
          );
          assert.equal(await stopStapled(child, [err, out]), 0);
        } finally {
          await stopStapled(child, [err, out]);
        }
        assert.equal(await exists(`${d}/file.pem.ocsp`), false);
        await verify(`${d}/bundled.pem.ocsp`, noIssuer.bundled);
        const haproxy = await haproxyCheck(cfg);
        assert.ok(haproxy.ok, haproxy.output);
      },
    );

    await t.step("by default (all), <crt>.issuer is used and haproxy -c passes", async () => {
      const d = `${dir}/default`;
      await Deno.mkdir(d);
      await withIssuerFile(`${d}/site.pem`, `${d}/site.pem.issuer`, byDefault);
      const cfg = await writeConfig(d, [], ["site.pem"]);
      const run = await runStapled(["--one-off", "--haproxy-config", cfg, "-q"]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      await verify(`${d}/site.pem.ocsp`, byDefault);
      const haproxy = await haproxyCheck(cfg);
      assert.ok(haproxy.ok, haproxy.output);
    });

    await t.step(
      "with ssl-load-extra-del-ext, the issuer comes from <base>.issuer and the staple goes to <base>.ocsp",
      async () => {
        const d = `${dir}/del-ext`;
        await Deno.mkdir(d);
        await withIssuerFile(`${d}/site.crt`, `${d}/site.issuer`, delExt.ok);
        // HAProxy does not read wrong.crt.issuer here: it looks for wrong.issuer.
        await withIssuerFile(`${d}/wrong.crt`, `${d}/wrong.crt.issuer`, delExt.wrong);
        const cfg = await writeConfig(d, ["ssl-load-extra-del-ext"], ["site.crt", "wrong.crt"]);
        const run = await runStapled(["--one-off", "--haproxy-config", cfg, "-q"]);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(lineOf(run.stdout, `${d}/site.crt`), /: good, valid until/);
        assert.match(
          lineOf(run.stdout, `${d}/wrong.crt`),
          new RegExp(
            `: FAILED: issuer missing: .* neither in the bundle nor in ${d}/wrong\\.issuer$`,
          ),
        );
        await verify(`${d}/site.ocsp`, delExt.ok);
        assert.equal(await exists(`${d}/wrong.ocsp`), false);
        assert.equal(await exists(`${d}/site.crt.ocsp`), false);
        const haproxy = await haproxyCheck(cfg);
        assert.ok(haproxy.ok, haproxy.output);
      },
    );

    await t.step(
      "without 'ocsp', staples are still written (HAProxy ignores them at startup) and haproxy -c passes",
      async () => {
        const d = `${dir}/no-ocsp`;
        await Deno.mkdir(d);
        await withIssuerFile(`${d}/file.pem`, `${d}/file.pem.issuer`, noOcsp.file);
        await writeBundle(`${d}/bundled.pem`, noOcsp.bundled, [ca]);
        for (const setting of ["key issuer", "none"]) {
          const cfg = await writeConfig(d, [`ssl-load-extra-files ${setting}`], [
            "file.pem",
            "bundled.pem",
          ]);
          const run = await runStapled([
            "--one-off",
            "--no-recycle",
            "--haproxy-config",
            cfg,
            "-q",
          ]);
          assert.equal(run.code, 0, run.stdout + run.stderr);
          await verify(`${d}/file.pem.ocsp`, noOcsp.file);
          await verify(`${d}/bundled.pem.ocsp`, noOcsp.bundled);
          const haproxy = await haproxyCheck(cfg);
          assert.ok(haproxy.ok, `${setting}: ${haproxy.output}`);
          const check = await runStapled(["--check-config", "--haproxy-config", cfg]);
          assert.match(
            lineOf(check.stdout, `  ${d}/bundled.pem`),
            /\(not loaded by HAProxy when it starts \(ssl-load-extra-files at .*:2 has no 'ocsp'\); served only once pushed over the stats socket, until HAProxy reloads\)/,
          );
        }
      },
    );

    await t.step(
      "without 'ocsp', a running HAProxy serves the staple the one-off pushes over its socket",
      async () => {
        const d = `${dir}/no-ocsp-live`;
        await Deno.mkdir(d);
        await writeBundle(`${d}/site.pem`, noOcsp.bundled, [ca]);
        const haproxy = await startHaproxy({
          dir: d,
          crts: [`${d}/site.pem`],
          globalLines: ["ssl-load-extra-files key issuer"],
        });
        try {
          const run = await runStapled(["--one-off", "--haproxy-config", haproxy.configPath]);
          assert.equal(run.code, 0, run.stdout + run.stderr);
          assert.match(run.stderr, /site\.pem\] Staple committed on HAProxy socket/);
          const served = await servedStaple(haproxy.tlsPort, "no-ocsp-bundled.extra.test");
          assert.equal(served.certStatus, "good", served.text.slice(0, 400));
        } finally {
          await haproxy.stop();
        }
      },
    );
  } finally {
    await responder.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
