/**
 * The state directory end to end: main.ts --one-off run twice against
 * OpenSSL's responder; the second run reuses every staple from what the
 * first remembered, and an unwritable state directory costs one warning.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { hasCommand } from "../_helpers/net.ts";
import { opensslResponder } from "../_helpers/openssl_responder.ts";
import { runStapled } from "../_helpers/run_stapled.ts";

const haveOpenssl = await hasCommand("openssl");

Deno.test({
  name: "a second one-off with a state directory reuses every staple the first one verified",
  ignore: !haveOpenssl,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-e2e-state-" });
  const certs = `${dir}/certs`;
  await Deno.mkdir(certs);
  await Deno.mkdir(`${dir}/r`);
  const root = await TestCa.root("E2E State Root", { key: "ec" });
  const ca = await root.intermediate("E2E State CA", { key: "ec" });
  const responder = opensslResponder(`${dir}/r`, ca);
  const names = ["a", "b", "c"];
  const leaves = await Promise.all(
    names.map((n) => ca.leaf(`${n}.example.test`, { ocspUrls: [responder.url] })),
  );
  for (const [i, n] of names.entries()) await writeBundle(`${certs}/${n}.pem`, leaves[i], [ca]);
  await responder.writeIndex(leaves.map((cert) => ({ cert })));
  await responder.start();
  try {
    const state = `${dir}/state`;
    const lines = (out: string) => out.split("\n").filter((l) => l.startsWith(`${certs}/`));

    await t.step("the first run fetches and remembers, the second reuses all", async () => {
      const first = await runStapled(["--one-off", "-p", certs, "-q", "--state-dir", state]);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.equal(lines(first.stdout).length, 3);
      for (const l of lines(first.stdout)) assert.match(l, /: good, valid until .*\(fetched from/);
      // A header line, then one line per certificate file, its path first (as JSON).
      const [, ...rows] = (await Deno.readTextFile(`${state}/state.json`)).trim().split("\n");
      assert.deepEqual(
        rows.map((r) => JSON.parse(r.split("\t")[0])).sort(),
        names.map((n) => `${certs}/${n}.pem`),
      );

      const second = await runStapled(["--one-off", "-p", certs, "-q", "--state-dir", state]);
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.equal(lines(second.stdout).length, 3);
      for (const l of lines(second.stdout)) {
        assert.match(l, /: good, valid until .*\(existing staple reused\)$/);
      }
    });

    await t.step("an unwritable state directory gives one warning and the run works", async () => {
      await Deno.writeTextFile(`${dir}/file`, "");
      const run = await runStapled(["--one-off", "-p", certs, "--state-dir", `${dir}/file/state`]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const warnings = run.stderr.split("\n").filter((l) =>
        l.includes("cannot use the state directory")
      );
      assert.equal(warnings.length, 1, run.stderr);
      for (const l of lines(run.stdout)) assert.match(l, /: good, valid until/);
    });
  } finally {
    await responder.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
