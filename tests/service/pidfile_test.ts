import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors/mod.ts";
import { captureLog } from "./_capture_log.ts";
import { Pidfile } from "../../src/service/pidfile.ts";

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

/** Whether some open file description holds `path`'s lock (tried from a new one). */
async function isLocked(path: string): Promise<boolean> {
  using file = await Deno.open(path, { read: true });
  const got = await file.tryLock(true);
  if (got) await file.unlock();
  return !got;
}

function rejectsWith(message: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.equal(err.message, message);
    return true;
  };
}

Deno.test("Pidfile.acquire() writes the pid and holds the lock; release() removes the file and lets go", async () => {
  await withPidfile(async (path, dir) => {
    const pidfile = await Pidfile.acquire(path, { pid: SELF });
    assert.equal(await Deno.readTextFile(path), `${SELF}\n`);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    assert.ok(await isLocked(path), "the pid file is locked while held");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["stapled.pid"]);
    await pidfile.release();
    await pidfile.release();
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("Pidfile.acquire() refuses a pid file whose lock is held, naming the holder's pid", async () => {
  await withPidfile(async (path) => {
    const first = await Pidfile.acquire(path, { pid: OTHER });
    try {
      await assert.rejects(
        Pidfile.acquire(path, { pid: SELF }),
        rejectsWith(
          `${path}: already running as pid ${OTHER} (another process holds the pid file's lock; stop it first)`,
        ),
      );
      assert.equal(await Deno.readTextFile(path), `${OTHER}\n`);
    } finally {
      await first.release();
    }
  });
});

Deno.test("a pid file locked by another live process blocks; once it is killed, the file is stale", async () => {
  await withPidfile(async (path) => {
    // Another process takes the lock as stapled does, says so, and waits.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = await Deno.open(${
          JSON.stringify(path)
        }, { read: true, write: true, create: true });
         if (!(await f.tryLock(true))) Deno.exit(3);
         await f.write(new TextEncoder().encode(Deno.pid + "\\n"));
         console.log("locked");
         await Deno.stdin.readable.getReader().read();`,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      assert.match((await reader.read()).value ?? "", /^locked/);
      await assert.rejects(
        Pidfile.acquire(path, { pid: SELF }),
        new RegExp(`already running as pid ${holder.pid} `),
      );
    } finally {
      holder.kill("SIGKILL");
      await holder.status;
      await reader.cancel();
      await holder.stdin.close().catch(() => {});
    }
    // kill -9 left the file behind, but the kernel dropped its lock.
    assert.equal(await Deno.readTextFile(path), `${holder.pid}\n`);
    let pidfile: Pidfile | undefined;
    const { lines } = await captureLog(async () => {
      pidfile = await Pidfile.acquire(path, { pid: SELF });
    });
    assert.deepEqual(lines, [
      `INFO     replacing the stale pid file ${path}: pid ${holder.pid} no longer holds it`,
    ]);
    assert.equal(await Deno.readTextFile(path), `${SELF}\n`);
    await pidfile!.release();
  });
});

Deno.test("Pidfile.acquire() takes an empty or its own file silently", async () => {
  await withPidfile(async (path) => {
    for (const text of ["", `${SELF}\n`]) {
      await Deno.writeTextFile(path, text);
      let pidfile: Pidfile | undefined;
      const { lines } = await captureLog(async () => {
        pidfile = await Pidfile.acquire(path, { pid: SELF });
      });
      assert.deepEqual(lines, []);
      assert.equal(await Deno.readTextFile(path), `${SELF}\n`);
      await pidfile!.release();
    }
  });
});

Deno.test("Pidfile.acquire() never overwrites a file that holds something other than a pid", async () => {
  await withPidfile(async (path) => {
    const text = "root:x:0:0:root:/root:/bin/bash\n";
    await Deno.writeTextFile(path, text);
    await assert.rejects(
      Pidfile.acquire(path, { pid: SELF }),
      rejectsWith(
        `${path}: cannot use the pid file: it exists and holds something other than a pid; not overwriting it`,
      ),
    );
    assert.equal(await Deno.readTextFile(path), text);
    assert.equal(await isLocked(path), false, "the lock is let go");
  });
});

Deno.test("Pidfile.acquire() refuses a symbolic link and a FIFO", async () => {
  await withPidfile(async (path, dir) => {
    await Deno.writeTextFile(`${dir}/target`, "");
    await Deno.symlink(`${dir}/target`, path);
    await assert.rejects(
      Pidfile.acquire(path, { pid: SELF }),
      rejectsWith(`${path}: cannot use the pid file: it is a symbolic link`),
    );
    assert.equal(await Deno.readTextFile(`${dir}/target`), "");
    await Deno.remove(path);
    assert.ok((await new Deno.Command("mkfifo", { args: [path] }).output()).success);
    await assert.rejects(
      Pidfile.acquire(path, { pid: SELF }),
      rejectsWith(`${path}: cannot use the pid file: it is not a regular file`),
    );
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

Deno.test("release() leaves a pid file that was replaced by another file", async () => {
  await withPidfile(async (path, dir) => {
    const pidfile = await Pidfile.acquire(path, { pid: SELF });
    await Deno.writeTextFile(`${dir}/new`, `${SELF}\n`);
    await Deno.rename(`${dir}/new`, path);
    const { lines } = await captureLog(() => pidfile.release());
    assert.equal(await Deno.readTextFile(path), `${SELF}\n`);
    assert.deepEqual(lines, [`WARNING  ${path} was replaced by another file; left in place`]);
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
