/** --on-update through main.ts: one run after staples changed, with the changed paths. */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { caHandler, startResponder } from "../../scripts/lib/ocsp_responder.ts";
import { runStapled, spawnStapled } from "../_helpers/run_stapled.ts";
import { Lines } from "../_helpers/output.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";

const root = await TestCa.root("Hook Root");
const ca = await root.intermediate("Hook CA");

Deno.test({
  name:
    "--on-update runs once after a batch of staples changed, with their paths, in one-off and daemon mode",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-hook-" });
  const status = new Map<string, "good" | "revoked">();
  const responder = startResponder(caHandler(ca, status));
  try {
    const leaves = [];
    for (const name of ["a", "b"]) {
      const leaf = await ca.leaf(`${name}.example.test`, { ocspUrls: [responder.url] });
      status.set(leaf.serial, "good");
      await writeBundle(`${dir}/${name}.pem`, leaf, [ca]);
      leaves.push(leaf);
    }
    const hook = `printf '%s\\n' "$STAPLED_UPDATED" >> ${dir}/hook.log`;
    const run = await runStapled([
      "--one-off",
      "-q",
      "-p",
      `${dir}/a.pem`,
      `${dir}/b.pem`,
      "--on-update",
      hook,
    ]);
    assert.equal(run.code, 0, run.stderr);
    for (const [i, name] of ["a", "b"].entries()) {
      const staple = await Deno.readFile(`${dir}/${name}.pem.ocsp`);
      await assertOpensslAccepts(staple, { leaf: leaves[i], issuer: ca, root }, {
        status: "good",
      });
    }
    assert.deepEqual((await Deno.readTextFile(`${dir}/hook.log`)).trim().split("\n").sort(), [
      `${dir}/a.pem`,
      `${dir}/b.pem`,
    ]);
    // Nothing fetched (staples reused): the hook does not run.
    await runStapled(["--one-off", "-q", "-p", `${dir}/a.pem`, "--on-update", hook]);
    assert.equal((await Deno.readTextFile(`${dir}/hook.log`)).trim().split("\n").length, 2);
    // The daemon: one run for the batch of its first renewals.
    await Deno.remove(`${dir}/hook.log`);
    const child = spawnStapled(["--no-recycle", "--no-watch", "-p", dir, "--on-update", hook]);
    const err = new Lines(child.stderr);
    const out = new Lines(child.stdout);
    for (let i = 0; i < 100; i++) {
      try {
        if ((await Deno.readTextFile(`${dir}/hook.log`)).trim().split("\n").length >= 2) break;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await Promise.all([err.done, out.done]);
    assert.deepEqual((await Deno.readTextFile(`${dir}/hook.log`)).trim().split("\n").sort(), [
      `${dir}/a.pem`,
      `${dir}/b.pem`,
    ]);
  } finally {
    await responder.close();
    await Deno.remove(dir, { recursive: true });
  }
});
