import assert from "node:assert/strict";
import { captureLog } from "./_capture_log.ts";
import {
  type DaemonChild,
  daemonChildArgs,
  daemonize,
  type DaemonizeOptions,
  READY_FILE_ENV,
  takeDaemonReadiness,
} from "../../src/service/daemonize.ts";
import { selfCommand } from "../../src/service/_self_command.ts";
import { RUNTIME_PERMISSIONS } from "../../src/service/permissions.ts";
import { exists } from "../_helpers/fs.ts";
import { until } from "../_helpers/wait.ts";

const ENTRY = new URL("../../main.ts", import.meta.url).pathname;

// ---------------------------------------------------------------- pure parts

Deno.test("daemonChildArgs() drops -D and --daemon and ends with --no-daemon", () => {
  assert.deepEqual(daemonChildArgs(["-D", "-p", "a", "b", "--daemon", "-qD"]), [
    "-p",
    "a",
    "b",
    "-qD",
    "--no-daemon",
  ]);
});

Deno.test("selfCommand() runs the main module with stapled's own permission flags from source", () => {
  assert.deepEqual(
    selfCommand({
      execPath: "/usr/bin/deno",
      mainModule: "file:///opt/my%20stapled/main.ts",
      permissionFlags: ["--allow-read", "--unstable-net"],
    }),
    ["/usr/bin/deno", "run", "--allow-read", "--unstable-net", "/opt/my stapled/main.ts"],
  );
});

Deno.test("selfCommand() starts a compiled binary with no runtime arguments", () => {
  assert.deepEqual(
    selfCommand({
      execPath: "/usr/local/bin/stapled",
      mainModule: "file:///tmp/deno-compile-stapled/main.ts",
      permissionFlags: ["--allow-read"],
    }),
    ["/usr/local/bin/stapled"],
  );
});

Deno.test("takeDaemonReadiness() takes the variable away and reports once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const vars = new Map([[READY_FILE_ENV, `${dir}/ready`]]);
    const env = { get: (k: string) => vars.get(k), delete: (k: string) => void vars.delete(k) };
    const readiness = takeDaemonReadiness({ env });
    assert.ok(readiness);
    assert.equal(vars.size, 0);
    readiness.failed(2, "/etc/stapled.pid: already running as pid 7\nmore");
    readiness.ready(8);
    assert.equal(
      await Deno.readTextFile(`${dir}/ready`),
      "failed 2 /etc/stapled.pid: already running as pid 7\n",
    );
    assert.equal(takeDaemonReadiness({ env }), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------- daemonize() with a fake child

interface Spawned {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Options for daemonize() whose child does `behave` with its ready file. */
function fakeChild(
  behave: (file: string, exit: (code: number) => void) => void,
  spawned: Spawned[],
  pid = 999_999_999,
): DaemonizeOptions {
  return {
    selfCommand: () => Promise.resolve(["/usr/bin/deno", "run", "--allow-read", "/x/main.ts"]),
    setsid: "/usr/bin/setsid",
    pollIntervalMs: 1,
    spawn: (command, args, env): DaemonChild => {
      spawned.push({ command, args, env });
      let exit = (_code: number) => {};
      const status = new Promise<{ success: boolean; code: number }>((resolve) => {
        exit = (code) => resolve({ success: code === 0, code });
      });
      setTimeout(() => behave(env[READY_FILE_ENV], exit), 5);
      return { pid, status, unref: () => {} };
    },
  };
}

function report(file: string, text: string): void {
  Deno.writeTextFileSync(`${file}.tmp`, text);
  Deno.renameSync(`${file}.tmp`, file);
}

Deno.test("daemonize() starts the program through setsid and exits 0 once the child is ready", async () => {
  const spawned: Spawned[] = [];
  const errors: string[] = [];
  const { lines, value } = await captureLog(() =>
    daemonize(["-D", "-p", "/etc/ssl"], {
      ...fakeChild((file) => report(file, "ready 4321\n"), spawned),
      logged: true,
      writeError: (line) => errors.push(line),
    })
  );
  assert.equal(value, 0);
  assert.deepEqual(errors, []);
  assert.equal(spawned.length, 1);
  const [{ command, args, env }] = spawned;
  assert.equal(command, "/usr/bin/setsid");
  assert.deepEqual(args, [
    "/usr/bin/deno",
    "run",
    "--allow-read",
    "/x/main.ts",
    "-p",
    "/etc/ssl",
    "--no-daemon",
  ]);
  assert.deepEqual(lines, ["INFO     stapled runs in the background as pid 4321"]);
  const file = env[READY_FILE_ENV];
  await assert.rejects(Deno.stat(file.slice(0, file.lastIndexOf("/"))), Deno.errors.NotFound);
});

Deno.test("daemonize() without setsid starts the program itself", async () => {
  const spawned: Spawned[] = [];
  const status = await daemonize(["-D"], {
    ...fakeChild((file) => report(file, "ready 1\n"), spawned),
    setsid: null,
    logged: true,
  });
  assert.equal(status, 0);
  assert.equal(spawned[0].command, "/usr/bin/deno");
  assert.deepEqual(spawned[0].args, ["run", "--allow-read", "/x/main.ts", "--no-daemon"]);
});

Deno.test("daemonize() warns when the daemon logs nowhere", async () => {
  const { lines } = await captureLog(() =>
    daemonize(["-D"], { ...fakeChild((file) => report(file, "ready 1\n"), []) })
  );
  assert.equal(
    lines[0],
    "WARNING  running in the background without --logdir or --syslog: the daemon's messages will be lost (add -l [DIR] or --syslog)",
  );
});

Deno.test("daemonize() passes on the child's failure with its status", async () => {
  const errors: string[] = [];
  const status = await daemonize(["-D"], {
    ...fakeChild((file, exit) => {
      report(file, "failed 2 /run/stapled.pid: already running as pid 7\n");
      exit(2);
    }, []),
    logged: true,
    writeError: (line) => errors.push(line),
  });
  assert.equal(status, 2);
  assert.deepEqual(errors, ["stapled: /run/stapled.pid: already running as pid 7"]);
});

Deno.test("daemonize() reports a child that died before it was ready", async () => {
  const errors: string[] = [];
  const status = await daemonize(["-D"], {
    ...fakeChild((_file, exit) => exit(70), []),
    logged: true,
    writeError: (line) => errors.push(line),
  });
  assert.equal(status, 1);
  assert.deepEqual(errors, [
    "stapled: the daemon exited with status 70 while starting; see its log",
  ]);
});

Deno.test("daemonize() keeps waiting when setsid forked and exited 0", async () => {
  const status = await daemonize(["-D"], {
    ...fakeChild((file, exit) => {
      exit(0);
      setTimeout(() => report(file, "ready 77\n"), 20);
    }, []),
    logged: true,
  });
  assert.equal(status, 0);
});

Deno.test("daemonize() reports a program that cannot be started", async () => {
  const errors: string[] = [];
  const status = await daemonize(["-D"], {
    ...fakeChild(() => {}, []),
    spawn: () => {
      throw new Deno.errors.NotFound("No such file or directory (os error 2)");
    },
    logged: true,
    writeError: (line) => errors.push(line),
  });
  assert.equal(status, 1);
  assert.deepEqual(errors, [
    "stapled: cannot start the daemon (/usr/bin/setsid): No such file or directory (os error 2)",
  ]);
});

Deno.test("daemonize() stops a child that does not report in time", async () => {
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    let now = 0;
    const errors: string[] = [];
    const status = await daemonize(["-D"], {
      ...fakeChild(() => {}, [], sleeper.pid),
      logged: true,
      readyTimeoutMs: 30_000,
      now: () => now,
      sleep: (ms) => {
        now += ms * 1000;
        return Promise.resolve();
      },
      writeError: (line) => errors.push(line),
    });
    assert.equal(status, 1);
    assert.deepEqual(errors, [
      "stapled: the daemon did not report that it runs within 30 s; stopped it (see its log)",
    ]);
    assert.equal((await sleeper.status).signal, "SIGTERM");
  } finally {
    try {
      sleeper.kill("SIGKILL");
    } catch {
      // already stopped
    }
    await sleeper.status;
  }
});

// ------------------------------------------------------- real processes, end to end

/** A temp dir with an empty certificate dir; HOME and cwd point there. */
async function withWorkspace(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-daemonize-" });
  await Deno.mkdir(`${dir}/certs`);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the entry script (main.ts as wired with daemonize) to its exit. */
async function runEntry(dir: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUNTIME_PERMISSIONS, ENTRY, ...args],
    env: { NO_COLOR: "1", HOME: dir },
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function daemonArgs(dir: string, pidfile: string): string[] {
  return ["-D", "--pidfile", pidfile, "-p", `${dir}/certs`, "--no-watch", "-l", `${dir}/log`];
}

/** The fields of /proc/<pid>/stat after the command name, or undefined when gone. */
function statFields(pid: number | "self"): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  } catch {
    return undefined;
  }
}

function isGone(pid: number): boolean {
  const fields = statFields(pid);
  return fields === undefined || fields[0] === "Z" || fields[0] === "X";
}

/** Stops a daemon left running by a failed test. */
function stopDaemon(pid: number | undefined): void {
  if (pid === undefined || isGone(pid)) return;
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

Deno.test("-D detaches: the parent exits 0, the child runs in its own session, SIGTERM stops it and removes the pid file", async () => {
  await withWorkspace(async (dir) => {
    const pidfile = `${dir}/stapled.pid`;
    let pid: number | undefined;
    try {
      const run = await runEntry(dir, daemonArgs(dir, pidfile));
      assert.equal(run.code, 0, run.stderr);
      pid = Number((await Deno.readTextFile(pidfile)).trim());
      assert.match(run.stderr, new RegExp(`stapled runs in the background as pid ${pid}\\n`));
      const fields = statFields(pid);
      assert.ok(fields && !isGone(pid), `pid ${pid} is not running`);
      const [, , pgrp, session] = fields;
      assert.equal(Number(session), pid, "the daemon leads a session of its own");
      assert.equal(Number(pgrp), pid, "the daemon leads a process group of its own");
      assert.notEqual(session, statFields("self")![3], "not the test's session");
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
      assert.ok(cmdline.includes("--no-daemon") && !cmdline.includes("-D"), cmdline.join(" "));
      for (const fd of [0, 1, 2]) {
        assert.equal(Deno.readLinkSync(`/proc/${pid}/fd/${fd}`), "/dev/null", `fd ${fd}`);
      }
      await until(
        async () =>
          (await Deno.readTextFile(`${dir}/log/stapled.log`)).includes("stapled daemon started"),
        "the daemon logged that it started",
      );

      Deno.kill(pid, "SIGTERM");
      await until(async () => !(await exists(pidfile)), "the pid file is removed");
      await until(() => isGone(pid!), "the daemon is gone");
      assert.match(await Deno.readTextFile(`${dir}/log/stapled.log`), /SIGTERM received, stopping/);
    } finally {
      stopDaemon(pid);
    }
  });
});

Deno.test("a second -D with the same pid file exits 2 saying the first is running", async () => {
  await withWorkspace(async (dir) => {
    const pidfile = `${dir}/stapled.pid`;
    let pid: number | undefined;
    try {
      const first = await runEntry(dir, daemonArgs(dir, pidfile));
      assert.equal(first.code, 0, first.stderr);
      pid = Number((await Deno.readTextFile(pidfile)).trim());
      const second = await runEntry(dir, daemonArgs(dir, pidfile));
      assert.equal(second.code, 2, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(`^stapled: ${pidfile}: already running as pid ${pid} `, "m"),
      );
      assert.equal((await Deno.readTextFile(pidfile)).trim(), String(pid));
      assert.ok(!isGone(pid), "the first daemon still runs");
      Deno.kill(pid, "SIGTERM");
      await until(async () => !(await exists(pidfile)), "the pid file is removed");
    } finally {
      stopDaemon(pid);
    }
  });
});

Deno.test("-D replaces a stale pid file", async () => {
  await withWorkspace(async (dir) => {
    const pidfile = `${dir}/stapled.pid`;
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    await Deno.writeTextFile(pidfile, `${dead.pid}\n`);
    let pid: number | undefined;
    try {
      const run = await runEntry(dir, daemonArgs(dir, pidfile));
      assert.equal(run.code, 0, run.stderr);
      pid = Number((await Deno.readTextFile(pidfile)).trim());
      assert.notEqual(pid, dead.pid);
      assert.match(
        await Deno.readTextFile(`${dir}/log/stapled.log`),
        new RegExp(`replacing the stale pid file ${pidfile}: pid ${dead.pid} no longer holds it`),
      );
      Deno.kill(pid, "SIGTERM");
      await until(async () => !(await exists(pidfile)), "the pid file is removed");
    } finally {
      stopDaemon(pid);
    }
  });
});

Deno.test("-D shows the operator why the daemon could not start", async () => {
  await withWorkspace(async (dir) => {
    const pidfile = `${dir}/no/such/dir/stapled.pid`;
    const run = await runEntry(dir, daemonArgs(dir, pidfile));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`^stapled: ${pidfile}: cannot write the pid file: `, "m"));
  });
});
