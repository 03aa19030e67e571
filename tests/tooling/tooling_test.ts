/**
 * The project's own tooling: the permission flags are the same everywhere,
 * the build fails clearly where Deno's runtime can't be downloaded, and the
 * CLI exits 2 on usage errors.
 */
import assert from "node:assert/strict";
import { RUN_PROGRAMS, RUNTIME_PERMISSIONS } from "../../src/service/permissions.ts";
import { SETSID_PATHS } from "../../src/service/_setsid.ts";
import { SHELL_PATH } from "../../src/service/_run_shell.ts";
import { runStapled } from "../_helpers/run_stapled.ts";

const root = new URL("../../", import.meta.url).pathname;
const denoJson = JSON.parse(await Deno.readTextFile(`${root}deno.json`));

Deno.test("deno task start carries exactly the binary's permission flags, and no -A", () => {
  const start: string = denoJson.tasks.start;
  const flags = start.split(/\s+/).filter((w) => w.startsWith("-"));
  assert.deepEqual(flags, [...RUNTIME_PERMISSIONS]);
  assert.ok(!/(^|\s)(-A|--allow-all)(\s|$)/.test(start));
});

Deno.test("stapled's permissions grant no --allow-all and no unscoped --allow-run, --allow-sys or --allow-ffi", () => {
  for (const flag of RUNTIME_PERMISSIONS) {
    assert.ok(
      !["-A", "--allow-all", "--allow-run", "--allow-sys", "--allow-ffi"].includes(flag),
      flag,
    );
    assert.ok(!flag.startsWith("--allow-ffi"), flag);
  }
  const run = RUNTIME_PERMISSIONS.filter((f) => f.startsWith("--allow-run"));
  assert.deepEqual(run, ["--allow-run=/bin/sh,/usr/bin/setsid,/bin/setsid"]);
  // Deno matches --allow-run paths literally: every program src starts, by the path it uses.
  assert.deepEqual([...RUN_PROGRAMS], [SHELL_PATH, ...SETSID_PATHS]);
  assert.ok(RUN_PROGRAMS.every((p) => p.startsWith("/")));
  assert.deepEqual(RUNTIME_PERMISSIONS.filter((f) => f.startsWith("--allow-sys")), [
    "--allow-sys=uid",
  ]);
});

Deno.test("under stapled's permissions only /bin/sh and setsid start, and /proc stays closed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-perms-" });
  try {
    const probe = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      probe,
      `const tries: Record<string, string> = {};
for (const program of ${JSON.stringify(["/bin/sh", "/usr/bin/setsid", "sh", "cat", "/bin/cat"])}) {
  try {
    const args = program.endsWith("setsid") ? ["/bin/sh", "-c", "exit 0"] : ["-c", "exit 0"];
    const out = await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output();
    tries[program] = out.success ? "ran" : "failed";
  } catch (err) {
    tries[program] = (err as Error).name;
  }
}
try {
  await new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).output();
  tries.self = "ran";
} catch (err) {
  tries.self = (err as Error).name;
}
try {
  await Deno.readTextFile("/proc/self/cmdline");
  tries.proc = "read";
} catch (err) {
  tries.proc = (err as Error).name;
}
tries.uid = typeof Deno.uid();
console.log(JSON.stringify(tries));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...RUNTIME_PERMISSIONS, probe],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
      "/bin/sh": "ran",
      "/usr/bin/setsid": "ran",
      sh: "NotCapable",
      cat: "NotCapable",
      "/bin/cat": "NotCapable",
      self: "NotCapable",
      proc: "NotCapable",
      uid: "number",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
