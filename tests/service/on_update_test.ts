import assert from "node:assert/strict";
import { captureLog } from "./_capture_log.ts";
import {
  type ShellResult,
  type ShellRun,
  UPDATED_COUNT_ENV,
  UPDATED_ENV,
  UpdateHook,
} from "../../src/service/on_update.ts";

const OK: ShellResult = { code: 0, signal: null, timedOut: false };

/** A runner whose runs the test finishes by hand. */
class FakeRunner {
  readonly runs: ShellRun[] = [];
  readonly finish: Array<(result: ShellResult) => void> = [];
  active = 0;
  maxActive = 0;
  #started: Array<() => void> = [];

  run = (run: ShellRun): Promise<ShellResult> => {
    this.runs.push(run);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    for (const wake of this.#started.splice(0)) wake();
    return new Promise((resolve) => {
      this.finish.push((result) => {
        this.active--;
        resolve(result);
      });
    });
  };

  /** Resolves once `n` runs have started. */
  async started(n: number): Promise<void> {
    while (this.runs.length < n) await new Promise<void>((r) => this.#started.push(r));
  }
}

function updated(run: ShellRun): string[] {
  return run.env[UPDATED_ENV].split("\n");
}

Deno.test("notify() runs the command once with the paths in STAPLED_UPDATED", async () => {
  const runner = new FakeRunner();
  const hook = new UpdateHook("systemctl reload nginx", { run: runner.run, timeoutMs: 5000 });
  hook.notify(["/etc/ssl/a.pem", "/etc/ssl/b.pem"]);
  await runner.started(1);
  runner.finish[0](OK);
  await hook.idle();
  assert.equal(runner.runs.length, 1);
  const [run] = runner.runs;
  assert.equal(run.command, "systemctl reload nginx");
  assert.equal(run.timeoutMs, 5000);
  assert.deepEqual(updated(run), ["/etc/ssl/a.pem", "/etc/ssl/b.pem"]);
  assert.equal(run.env[UPDATED_COUNT_ENV], "2");
});

Deno.test("changes during a run wait for it and then run once, together", async () => {
  const runner = new FakeRunner();
  const hook = new UpdateHook("reload", { run: runner.run });
  hook.notify(["/a.pem"]);
  await runner.started(1);
  hook.notify(["/b.pem"]);
  hook.notify(["/c.pem", "/b.pem"]);
  hook.notify(["/a.pem"]);
  assert.equal(runner.runs.length, 1, "no second run while the first one runs");
  runner.finish[0](OK);
  await runner.started(2);
  assert.deepEqual(updated(runner.runs[1]), ["/b.pem", "/c.pem", "/a.pem"]);
  runner.finish[1](OK);
  await hook.idle();
  assert.equal(runner.runs.length, 2);
  assert.equal(runner.maxActive, 1);
});

Deno.test("a later batch after an idle spell starts a fresh run", async () => {
  const runner = new FakeRunner();
  const hook = new UpdateHook("reload", { run: runner.run });
  hook.notify(["/a.pem"]);
  await runner.started(1);
  runner.finish[0](OK);
  await hook.idle();
  hook.notify(["/b.pem"]);
  await runner.started(2);
  runner.finish[1](OK);
  await hook.idle();
  assert.deepEqual(runner.runs.map(updated), [["/a.pem"], ["/b.pem"]]);
});

Deno.test("notify() with no paths runs nothing", async () => {
  const runner = new FakeRunner();
  const hook = new UpdateHook("reload", { run: runner.run });
  hook.notify([]);
  await hook.idle();
  assert.equal(runner.runs.length, 0);
});

Deno.test("close() waits for the queued run and ignores later notifications", async () => {
  const runner = new FakeRunner();
  const hook = new UpdateHook("reload", { run: runner.run });
  hook.notify(["/a.pem"]);
  await runner.started(1);
  hook.notify(["/b.pem"]);
  const closed = hook.close();
  hook.notify(["/c.pem"]);
  runner.finish[0](OK);
  await runner.started(2);
  runner.finish[1](OK);
  await closed;
  assert.deepEqual(runner.runs.map(updated), [["/a.pem"], ["/b.pem"]]);
});

Deno.test("a runner that throws is logged and the next batch still runs", async () => {
  let calls = 0;
  const { lines } = await captureLog(async () => {
    const hook = new UpdateHook("reload", {
      run: () => {
        calls++;
        if (calls === 1) throw new Deno.errors.NotFound("sh: not found");
        return Promise.resolve(OK);
      },
    });
    hook.notify(["/a.pem"]);
    await hook.idle();
    hook.notify(["/b.pem"]);
    await hook.idle();
  });
  assert.equal(calls, 2);
  assert.ok(
    lines.includes("ERROR    the --on-update command could not be run: NotFound: sh: not found"),
    lines.join("\n"),
  );
});

Deno.test("new UpdateHook() rejects an empty command and a non-positive timeout", () => {
  assert.throws(() => new UpdateHook("  "), {
    name: "RangeError",
    message: "Cannot run --on-update: the command is empty",
  });
  assert.throws(() => new UpdateHook("true", { timeoutMs: 0 }), {
    name: "RangeError",
    message: "Cannot run --on-update: timeout 0 ms is not positive",
  });
});

Deno.test("the real command gets STAPLED_UPDATED and its output goes to the log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/updated`;
    const { lines } = await captureLog(async () => {
      const hook = new UpdateHook(
        `printf '%s\\n' "$STAPLED_UPDATED" > '${out}'; echo "count=$STAPLED_UPDATED_COUNT"; echo oops >&2`,
      );
      hook.notify(["/etc/ssl/a b.pem", "/etc/ssl/c.pem"]);
      await hook.close();
    });
    assert.equal(await Deno.readTextFile(out), "/etc/ssl/a b.pem\n/etc/ssl/c.pem\n");
    assert.ok(lines.includes("INFO     --on-update: count=2"), lines.join("\n"));
    assert.ok(lines.includes("WARNING  --on-update: oops"), lines.join("\n"));
    assert.ok(lines.some((l) => /^DEBUG +the --on-update command finished/.test(l)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing command is logged with its exit status", async () => {
  const { lines } = await captureLog(async () => {
    const hook = new UpdateHook("echo going; exit 3");
    hook.notify(["/a.pem"]);
    await hook.close();
  });
  assert.ok(
    lines.includes(
      "ERROR    the --on-update command failed with exit status 3: echo going; exit 3",
    ),
    lines.join("\n"),
  );
});

Deno.test("a command running past the timeout is killed with its children and logged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const childFile = `${dir}/child`;
    const command = `sleep 30 & echo $! > '${childFile}'; wait`;
    const { lines } = await captureLog(async () => {
      const hook = new UpdateHook(command, { timeoutMs: 300 });
      hook.notify(["/a.pem"]);
      await hook.close();
    });
    assert.ok(
      lines.includes(
        `ERROR    the --on-update command ran longer than 0.3 s and was killed: ${command}`,
      ),
      lines.join("\n"),
    );
    const child = Number((await Deno.readTextFile(childFile)).trim());
    assert.ok(await gone(child), `the background sleep (pid ${child}) was not killed`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a command that leaves a background process is done once it exits", async () => {
  const dir = await Deno.makeTempDir();
  const childFile = `${dir}/child`;
  try {
    const { lines } = await captureLog(async () => {
      const hook = new UpdateHook(`sleep 30 & echo $! > '${childFile}'; echo started`);
      hook.notify(["/a.pem"]);
      await hook.close();
    });
    assert.ok(lines.includes("INFO     --on-update: started"), lines.join("\n"));
    assert.ok(lines.some((l) => /^DEBUG +the --on-update command finished/.test(l)));
  } finally {
    const child = Number((await Deno.readTextFile(childFile).catch(() => "")).trim());
    if (child > 0) Deno.kill(child, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

/** Whether `pid` is gone (or a zombie) within a few seconds. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
      if (/^\S+ \(.*\) [ZX]/.test(stat)) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
