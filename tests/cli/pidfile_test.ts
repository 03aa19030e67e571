import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors/mod.ts";
import { captureLog } from "./_capture_log.ts";
import { Pidfile } from "../../src/cli/pidfile.ts";
import type { ProcessState } from "../../src/cli/_proc.ts";

const SELF = 5000;
const OTHER = 4242;

/** A temp dir with a pid file path in it. */
async function withPidfile(fn: (path: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(`${dir}/stapled.pid`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function inspecting(state: ProcessState): (pid: number) => Promise<ProcessState> {
  return () => Promise.resolve(state);
}

Deno.test("Pidfile.acquire() writes the pid and release() removes the file", async () => {
  await withPidfile(async (path, dir) => {
    const pidfile = await Pidfile.acquire(path, { pid: SELF });
    assert.equal(await Deno.readTextFile(path), `${SELF}\n`);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["stapled.pid"]);
    await pidfile.release();
    await pidfile.release();
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("Pidfile.acquire() refuses a pid file naming a running stapled", async () => {
  await withPidfile(async (path) => {
    await Deno.writeTextFile(path, `${OTHER}\n`);
    await assert.rejects(
      Pidfile.acquire(path, {
        pid: SELF,
        inspect: inspecting({ running: true, argv: ["/usr/local/bin/stapled", "-D"] }),
      }),
      (err) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          `${path}: already running as pid ${OTHER} (stop it first, or remove the pid file if that is not stapled)`,
        );
        return true;
      },
    );
    assert.equal(await Deno.readTextFile(path), `${OTHER}\n`);
  });
});

Deno.test("a deno process running a stapled script or this main module holds the pid file", async () => {
  await withPidfile(async (path) => {
    await Deno.writeTextFile(path, `${OTHER}\n`);
    for (
      const argv of [
        ["/usr/bin/deno", "run", "-A", "/opt/stapled/main.ts"],
        ["/usr/bin/deno", "run", "-A", "/srv/app/main.ts", "-D"],
        // `deno task start` passes the main module relative to the checkout.
        ["/usr/bin/deno", "run", "--allow-read", "main.ts", "--no-daemon"],
      ]
    ) {
      await assert.rejects(
        Pidfile.acquire(path, {
          pid: SELF,
          inspect: inspecting({ running: true, argv }),
          marks: ["/srv/app/main.ts"],
        }),
        /already running as pid 4242/,
        argv.join(" "),
      );
    }
  });
});

Deno.test("a process whose arguments cannot be read is taken for stapled", async () => {
  await withPidfile(async (path) => {
    await Deno.writeTextFile(path, `${OTHER}\n`);
    await assert.rejects(
      Pidfile.acquire(path, { pid: SELF, inspect: inspecting({ running: true }) }),
      /already running as pid 4242/,
    );
  });
});

Deno.test("Pidfile.acquire() replaces the pid file of a dead process, with an info line", async () => {
  await withPidfile(async (path) => {
    await Deno.writeTextFile(path, `${OTHER}\n`);
    const { lines } = await captureLog(async () => {
      await Pidfile.acquire(path, { pid: SELF, inspect: inspecting({ running: false }) });
    });
    assert.equal(await Deno.readTextFile(path), `${SELF}\n`);
    assert.deepEqual(lines, [
      `INFO     replacing the stale pid file ${path}: pid ${OTHER} is not running`,
    ]);
  });
});

Deno.test("a pid file naming another program, this process or no pid is stale", async () => {
  await withPidfile(async (path) => {
    const cases: Array<[string, ProcessState, string]> = [
      [
        `${OTHER}\n`,
        { running: true, argv: ["nginx: worker process"] },
        `pid ${OTHER} is another program`,
      ],
      [
        `${SELF}\n`,
        { running: true, argv: ["/usr/local/bin/stapled"] },
        `pid ${SELF} is this process`,
      ],
      ["garbage\n", { running: true }, "it holds no pid"],
      ["", { running: true }, "it holds no pid"],
    ];
    for (const [text, state, why] of cases) {
      await Deno.writeTextFile(path, text);
      const { lines } = await captureLog(async () => {
        await Pidfile.acquire(path, { pid: SELF, inspect: inspecting(state) });
      });
      assert.equal(await Deno.readTextFile(path), `${SELF}\n`);
      assert.deepEqual(lines, [`INFO     replacing the stale pid file ${path}: ${why}`]);
    }
  });
});

Deno.test("release() leaves a pid file that now names another process", async () => {
  await withPidfile(async (path) => {
    const pidfile = await Pidfile.acquire(path, { pid: SELF });
    await Deno.writeTextFile(path, `${OTHER}\n`);
    const { lines } = await captureLog(() => pidfile.release());
    assert.equal(await Deno.readTextFile(path), `${OTHER}\n`);
    assert.deepEqual(lines, [`WARNING  ${path} now names another process; left in place`]);
  });
});

Deno.test("Pidfile.acquire() fails with a ConfigError when the directory is missing", async () => {
  await withPidfile(async (_path, dir) => {
    const path = `${dir}/missing/stapled.pid`;
    await assert.rejects(Pidfile.acquire(path, { pid: SELF }), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`^${path}: cannot write the pid file: No such file`));
      return true;
    });
  });
});

Deno.test("Pidfile.acquire() looks at real processes: a live stapled blocks, a sleep does not", async () => {
  await withPidfile(async (path) => {
    const asStapled = new Deno.Command("bash", {
      args: ["-c", "exec -a stapled sleep 30"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const plain = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      await waitForArgv0(asStapled.pid, "stapled");
      await Deno.writeTextFile(path, `${asStapled.pid}\n`);
      await assert.rejects(
        Pidfile.acquire(path, { pid: SELF }),
        new RegExp(`already running as pid ${asStapled.pid} `),
      );
      await Deno.writeTextFile(path, `${plain.pid}\n`);
      await captureLog(async () => {
        await Pidfile.acquire(path, { pid: SELF });
      });
      assert.equal(await Deno.readTextFile(path), `${SELF}\n`);
    } finally {
      asStapled.kill("SIGKILL");
      plain.kill("SIGKILL");
      await asStapled.status;
      await plain.status;
    }
    const dead = plain.pid;
    await Deno.writeTextFile(path, `${dead}\n`);
    const { lines } = await captureLog(async () => {
      await Pidfile.acquire(path, { pid: SELF });
    });
    assert.deepEqual(lines, [
      `INFO     replacing the stale pid file ${path}: pid ${dead} is not running`,
    ]);
  });
});

/** Waits until `pid`'s argv[0] is `name` (after bash's exec). */
async function waitForArgv0(pid: number, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
    if (cmdline.split("\0")[0] === name) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pid ${pid} never ran as ${name}`);
}
