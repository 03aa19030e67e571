/**
 * Which configuration files stapled reads, run end to end through main.ts:
 * none from the working directory, and none that sets a command while others
 * could change it.
 */
import assert from "node:assert/strict";
import { runStapled } from "../_helpers/run_stapled.ts";

/** A temp dir with an empty `certs/`; HOME points there (no ~/.stapled.conf). */
async function withWorkspace(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-trust-" });
  await Deno.mkdir(`${dir}/certs`);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a stapled.conf in the working directory is not read", async () => {
  await withWorkspace(async (dir) => {
    // Were it read, its on-update would run and its bad value would exit 2.
    await Deno.writeTextFile(
      `${dir}/stapled.conf`,
      `on-update=touch ${dir}/ran\nminimum-validity=not-a-number\n`,
    );
    const run = await runStapled(["--check-config", "-p", `${dir}/certs`], {
      cwd: dir,
      env: { HOME: dir },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /stapled\.conf/);
    assert.match(run.stdout, /^config files read: (none|\/etc\/stapled\/stapled\.conf)$/m);
    const oneOff = await runStapled(["--one-off", "-p", `${dir}/certs`], {
      cwd: dir,
      env: { HOME: dir },
    });
    assert.equal(oneOff.code, 0, oneOff.stderr);
  });
});

Deno.test("stapled exits 2 with one line for a -c file that others may write and that sets on-update", async () => {
  await withWorkspace(async (dir) => {
    const file = `${dir}/mine.conf`;
    await Deno.writeTextFile(file, `on-update=touch ${dir}/ran\n`);
    await Deno.chmod(file, 0o666);
    const run = await runStapled(["-c", file, "--one-off", "-p", `${dir}/certs`], {
      cwd: dir,
      env: { HOME: dir },
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      run.stderr,
      `stapled: ${file}: refusing the config file: it sets on-update (a command stapled runs)` +
        ` but is writable by group or others (mode 0666); chmod go-w ${file}\n`,
    );
    await Deno.chmod(file, 0o644);
    const fixed = await runStapled(["-c", file, "--check-config", "-p", `${dir}/certs`], {
      cwd: dir,
      env: { HOME: dir },
    });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, new RegExp(`^config files read: .*${file}$`, "m"));
  });
});
