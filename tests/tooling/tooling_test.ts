/**
 * The project's own tooling: the permission flags are the same everywhere,
 * the build fails clearly where Deno's runtime can't be downloaded, and the
 * CLI exits 2 on usage errors.
 */
import assert from "node:assert/strict";
import { RUNTIME_PERMISSIONS } from "../../scripts/lib/permissions.ts";
import { runStapled } from "../_helpers/run_stapled.ts";

const root = new URL("../../", import.meta.url).pathname;
const denoJson = JSON.parse(await Deno.readTextFile(`${root}deno.json`));

Deno.test("deno task start carries exactly the binary's permission flags, and no -A", () => {
  const start: string = denoJson.tasks.start;
  const flags = start.split(/\s+/).filter((w) => w.startsWith("-"));
  assert.deepEqual(flags, [...RUNTIME_PERMISSIONS]);
  assert.ok(!/(^|\s)(-A|--allow-all)(\s|$)/.test(start));
});

Deno.test({
  name: "deno task build makes dist/stapled, or says clearly which runtime download is missing",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir({ prefix: "stapled-build-" });
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        `${root}scripts/build.ts`,
        "--out-dir",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    if (result.success) {
      const version = await new Deno.Command(`${out}/stapled`, { args: ["-V"], stdout: "piped" })
        .output();
      assert.equal(new TextDecoder().decode(version.stdout).trim(), `stapled ${denoJson.version}`);
    } else {
      assert.match(stderr, /needs Deno's runtime for .* \(denort /);
      assert.match(stderr, /DENORT_BIN/);
      assert.doesNotMatch(stderr, /Stack backtrace|at .*\.ts:\d+/);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("usage errors exit 2 with one line; --version prints deno.json's version", async () => {
  const bad = await runStapled(["--one-off", "--bogus"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assert.match(bad.stderr, /unknown option '--bogus'/);
  const typo = await runStapled(["--one-off", "-p", "/nonexistent/certs"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^stapled: \/nonexistent\/certs: cannot read cert path/);
  const nothing = await runStapled(["--one-off"]);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /nothing to staple/);
  const version = await runStapled(["-V"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), `stapled ${denoJson.version}`);
});
