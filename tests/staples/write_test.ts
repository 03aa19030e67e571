/**
 * Issue 13 item 1: writeStapleAtomic() shares one directory fsync among
 * concurrent writes into a directory (each still resolving only after an
 * fsync begun after its own rename), and chmods only when the umask left the
 * wrong mode.
 */
import assert from "node:assert/strict";
import { writeStapleAtomic } from "../../src/staples/mod.ts";
import { listDir } from "../_helpers/fixtures.ts";

const WRITE_MODULE = new URL("../../src/staples/write.ts", import.meta.url).href;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-write-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `code` (a module importing write.ts) in a child Deno, under `wrap` (e.g. strace). */
async function runChild(dir: string, code: string, wrap: string[] = []): Promise<void> {
  const script = `${dir}/child.ts`;
  await Deno.writeTextFile(
    script,
    `import { writeStapleAtomic } from ${JSON.stringify(WRITE_MODULE)};\n${code}`,
  );
  const argv = [...wrap, Deno.execPath(), "run", "--quiet", "--allow-all", script];
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stderr: "piped" }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test("writeStapleAtomic() lands every one of many concurrent writes into one directory", async () => {
  await withDir(async (dir) => {
    const names = Array.from({ length: 64 }, (_, i) => `site-${i}.pem.ocsp`);
    // Some replace an existing staple, some are new.
    for (const name of names.slice(0, 20)) {
      await Deno.writeFile(`${dir}/${name}`, new Uint8Array([1]));
    }
    await Promise.all(
      names.map((name, i) => writeStapleAtomic(`${dir}/${name}`, new Uint8Array([0x30, 1, i]))),
    );
    // And a second wave while nothing else runs, reusing the directory's rounds.
    await Promise.all(
      names.slice(0, 8).map((name, i) =>
        writeStapleAtomic(`${dir}/${name}`, new Uint8Array([0x30, 2, i]))
      ),
    );
    assert.deepEqual(await listDir(dir), [...names].sort());
    for (const [i, name] of names.entries()) {
      const want = i < 8 ? [0x30, 2, i] : [0x30, 1, i];
      assert.deepEqual(await Deno.readFile(`${dir}/${name}`), new Uint8Array(want), name);
      assert.equal((await Deno.stat(`${dir}/${name}`)).mode! & 0o777, 0o644, name);
    }
  });
});

Deno.test("writeStapleAtomic() rejects each concurrent write that fails and still lands the others", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/taken.pem.ocsp`); // a directory at the path: the rename fails
    await Deno.writeFile(`${dir}/taken.pem.ocsp/x`, new Uint8Array([1]));
    const results = await Promise.allSettled([
      writeStapleAtomic(`${dir}/a.pem.ocsp`, new Uint8Array([0x30, 0])),
      writeStapleAtomic(`${dir}/taken.pem.ocsp`, new Uint8Array([0x30, 0])),
      writeStapleAtomic(`${dir}/b.pem.ocsp`, new Uint8Array([0x30, 0])),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /cannot write staple/);
    assert.deepEqual(await listDir(dir), ["a.pem.ocsp", "b.pem.ocsp", "taken.pem.ocsp"]);
  });
});

Deno.test("writeStapleAtomic() gives a staple mode 0644 under a restrictive umask, and 0600 when asked", async () => {
  await withDir(async (dir) => {
    // In a child: the umask is the process's, and other test modules may run beside this one.
    await runChild(
      dir,
      `Deno.umask(0o077);\n` +
        `await writeStapleAtomic(${
          JSON.stringify(`${dir}/site.pem.ocsp`)
        }, new Uint8Array([48, 0]));\n` +
        `Deno.umask(0o022);\n` +
        `await writeStapleAtomic(${
          JSON.stringify(`${dir}/state.json`)
        }, new Uint8Array([123, 125]), { mode: 0o600 });\n`,
    );
    assert.equal((await Deno.stat(`${dir}/site.pem.ocsp`)).mode! & 0o7777, 0o644);
    assert.equal((await Deno.stat(`${dir}/state.json`)).mode! & 0o7777, 0o600);
  });
});

async function hasStrace(): Promise<boolean> {
  try {
    return (await new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

/** One system call of an `strace -f` trace, its start and end joined. */
interface Call {
  /** Line index where it started. */
  start: number;
  /** Line index where it returned. */
  end: number;
  name: string;
  args: string;
  result: string;
}

/** Pairs `<unfinished ...>` lines with their `<... resumed>` lines, by pid. */
function parseTrace(lines: string[]): Call[] {
  const open = new Map<string, Call>();
  const calls: Call[] = [];
  for (const [i, line] of lines.entries()) {
    const resumed = line.match(/^(\d+)\s+<\.\.\. (\w+) resumed>(.*)\)\s+= (-?\d+)/);
    if (resumed) {
      const call = open.get(resumed[1]);
      if (call) {
        call.end = i;
        call.args += resumed[3];
        call.result = resumed[4];
        calls.push(call);
        open.delete(resumed[1]);
      }
      continue;
    }
    const unfinished = line.match(/^(\d+)\s+(\w+)\((.*) <unfinished \.\.\.>$/);
    if (unfinished) {
      open.set(unfinished[1], {
        start: i,
        end: -1,
        name: unfinished[2],
        args: unfinished[3],
        result: "",
      });
      continue;
    }
    const whole = line.match(/^(\d+)\s+(\w+)\((.*)\)\s+= (-?\d+)/);
    if (whole) calls.push({ start: i, end: i, name: whole[2], args: whole[3], result: whole[4] });
  }
  return calls.sort((a, b) => a.end - b.end);
}

Deno.test({
  name:
    "writeStapleAtomic() resolves each of many concurrent writes only after a directory fsync begun after its rename",
  // strace is not one of the peers CI installs: skipped where it is missing.
  ignore: !(await hasStrace()),
  async fn() {
    await withDir(async (dir) => {
      const staples = `${dir}/staples`;
      await Deno.mkdir(staples);
      const count = 150;
      // Each write, once resolved, stats a marker path, so the trace shows when it resolved.
      await runChild(
        dir,
        `await Promise.all(Array.from({ length: ${count} }, (_, i) =>\n` +
          `  writeStapleAtomic(${
            JSON.stringify(staples)
          } + "/site-" + i + ".pem.ocsp", new Uint8Array([48, 0]))\n` +
          `    .then(() => { try { Deno.statSync(${
            JSON.stringify(dir)
          } + "/marker-" + i); } catch { /* absent */ } })));\n`,
        [
          "strace",
          "-f",
          "-e",
          "trace=openat,rename,renameat,renameat2,fsync,fdatasync,fcntl,close,statx,newfstatat,stat",
          "-o",
          `${dir}/trace`,
        ],
      );
      const calls = parseTrace((await Deno.readTextFile(`${dir}/trace`)).split("\n"));
      // Which descriptors are the staple directory, at each point of the trace.
      const dirFds = new Set<string>();
      /** Directory fsyncs: [start, end] line indices. */
      const dirSyncs: Array<[number, number]> = [];
      const renamedAt = new Map<number, number>();
      const resolvedAt = new Map<number, number>();
      for (const call of calls) {
        if (
          call.name === "openat" && call.args.includes(`"${staples}/"`) && Number(call.result) >= 0
        ) {
          dirFds.add(call.result);
        } else if (call.name === "fcntl" && /F_DUPFD/.test(call.args)) {
          if (dirFds.has(call.args.split(",")[0])) dirFds.add(call.result);
        } else if (call.name === "close") {
          dirFds.delete(call.args.trim());
        } else if (call.name === "fsync" && dirFds.has(call.args.trim()) && call.result === "0") {
          dirSyncs.push([call.start, call.end]);
        } else if (call.name.startsWith("rename") && call.result === "0") {
          const site = call.args.match(/\/site-(\d+)\.pem\.ocsp"/);
          if (site) renamedAt.set(Number(site[1]), call.end);
        } else if (/stat/.test(call.name)) {
          const marker = call.args.match(/\/marker-(\d+)"/);
          if (marker) resolvedAt.set(Number(marker[1]), call.start);
        }
      }
      assert.equal(renamedAt.size, count, "not every rename is in the trace");
      assert.equal(resolvedAt.size, count, "not every write resolved");
      assert.ok(dirSyncs.length >= 1 && dirSyncs.length <= count);
      for (let i = 0; i < count; i++) {
        const renamed = renamedAt.get(i)!;
        const resolved = resolvedAt.get(i)!;
        assert.ok(
          dirSyncs.some(([start, end]) => start > renamed && end < resolved),
          `write ${i} resolved without a directory fsync begun after its rename`,
        );
      }
    });
  },
});
