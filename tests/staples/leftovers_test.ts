/**
 * Issue 8 item 12: temp files left by an interrupted write are removed when
 * stapled starts, only stapled's own and only old ones; writes fsync the
 * directory after the rename.
 */
import assert from "node:assert/strict";
import {
  LeftoverCleaner,
  removeStapleLeftovers,
  writeStapleAtomic,
} from "../../src/staples/mod.ts";
import { listDir } from "../_helpers/fixtures.ts";

const MINUTE = 60_000;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-leftovers-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Creates `name` in `dir`, last modified `ageMs` ago. */
async function touch(dir: string, name: string, ageMs: number): Promise<void> {
  await Deno.writeFile(`${dir}/${name}`, new Uint8Array([1, 2, 3]));
  const when = new Date(Date.now() - ageMs);
  await Deno.utime(`${dir}/${name}`, when, when);
}

/** A directory as a crash leaves it, with files of others beside. */
async function crashLeftDir(dir: string): Promise<{ ours: string[]; others: string[] }> {
  const ours = [
    ".site.pem.ocsp.1x2y3z4a5b6c.tmp",
    ".site.ocsp.ab.tmp", // ssl-load-extra-del-ext naming
    "..site.pem.ocsp.revoked.3k9q0z1m2n.tmp", // a revocation record's temp file
  ];
  const others = [
    "site.pem",
    "site.pem.ocsp",
    ".site.pem.ocsp.revoked",
    ".site.pem.ocsp.tmp", // no random part
    "site.pem.ocsp.1x2y3z.tmp", // not a dotfile
    ".site.pem.1x2y3z.tmp", // not a staple
    ".site.pem.ocsp.1X2Y3Z.tmp", // not our alphabet
    ".site.pem.ocsp.1x2y3z4a5b6c7d8.tmp", // longer than ours
    ".site.pem.ocsp.y0ung.tmp", // ours, but too young (another stapled writing now)
  ];
  for (const name of ours) await touch(dir, name, 2 * MINUTE);
  for (const name of others.slice(0, -1)) await touch(dir, name, 2 * MINUTE);
  await touch(dir, others.at(-1)!, 1000);
  await Deno.mkdir(`${dir}/.dir.ocsp.abc.tmp`);
  await Deno.symlink(`${dir}/site.pem`, `${dir}/.link.ocsp.abc.tmp`);
  others.push(".dir.ocsp.abc.tmp", ".link.ocsp.abc.tmp");
  return { ours, others };
}

Deno.test("removeStapleLeftovers() removes stapled's old temp files and nothing else", async () => {
  await withDir(async (dir) => {
    const { ours, others } = await crashLeftDir(dir);
    const removed = await removeStapleLeftovers(dir);
    assert.deepEqual(removed.sort(), ours.map((n) => `${dir}/${n}`).sort());
    assert.deepEqual(await listDir(dir), others.sort());
  });
});

Deno.test("removeStapleLeftovers() keeps temp files younger than the threshold (another stapled writing now)", async () => {
  await withDir(async (dir) => {
    await touch(dir, ".site.pem.ocsp.abcdef.tmp", 30_000);
    assert.deepEqual(await removeStapleLeftovers(dir), []);
    assert.deepEqual(await removeStapleLeftovers(dir, { minAgeMs: 10_000 }), [
      `${dir}/.site.pem.ocsp.abcdef.tmp`,
    ]);
  });
});

Deno.test("removeStapleLeftovers() finds nothing in a directory that does not exist", async () => {
  assert.deepEqual(await removeStapleLeftovers("/nonexistent/stapled"), []);
});

Deno.test("LeftoverCleaner sweeps each directory once", async () => {
  await withDir(async (dir) => {
    const cleaner = new LeftoverCleaner();
    await touch(dir, ".a.pem.ocsp.abc.tmp", 2 * MINUTE);
    assert.equal((await cleaner.sweepFor([`${dir}/a.pem`, `${dir}/b.pem`])).length, 1);
    await touch(dir, ".a.pem.ocsp.def.tmp", 2 * MINUTE);
    assert.deepEqual(await cleaner.sweepFor([`${dir}/c.pem`]), []);
    assert.deepEqual(await listDir(dir), [".a.pem.ocsp.def.tmp"]);
  });
});

Deno.test("writeStapleAtomic() writes after a sweep and leaves no temp file", async () => {
  await withDir(async (dir) => {
    await touch(dir, ".site.pem.ocsp.abc.tmp", 2 * MINUTE);
    await new LeftoverCleaner().sweepFor([`${dir}/site.pem`]);
    await writeStapleAtomic(`${dir}/site.pem.ocsp`, new Uint8Array([0x30, 0x00]));
    assert.deepEqual(await listDir(dir), ["site.pem.ocsp"]);
    assert.deepEqual(await Deno.readFile(`${dir}/site.pem.ocsp`), new Uint8Array([0x30, 0x00]));
  });
});

Deno.test("writeStapleAtomic() replaces a FIFO at the staple's path by a regular file", async () => {
  await withDir(async (dir) => {
    const out = await new Deno.Command("mkfifo", { args: [`${dir}/site.pem.ocsp`] }).output();
    assert.ok(out.success);
    await writeStapleAtomic(`${dir}/site.pem.ocsp`, new Uint8Array([0x30, 0x00]));
    assert.ok((await Deno.lstat(`${dir}/site.pem.ocsp`)).isFile);
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

Deno.test({
  name: "writeStapleAtomic() fsyncs the directory after the rename (so a power cut cannot undo it)",
  // strace is not one of the peers CI installs: skipped where it is missing.
  ignore: !(await hasStrace()),
  async fn() {
    await withDir(async (dir) => {
      const script = `${dir}/write.ts`;
      const writeModule = new URL("../../src/staples/write.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { writeStapleAtomic } from ${JSON.stringify(writeModule)};\n` +
          `await writeStapleAtomic(${
            JSON.stringify(`${dir}/staples/site.pem.ocsp`)
          }, new Uint8Array([48, 0]));\n`,
      );
      await Deno.mkdir(`${dir}/staples`);
      const out = await new Deno.Command("strace", {
        args: [
          "-f",
          "-e",
          "trace=openat,rename,renameat,renameat2,fsync,fdatasync,fcntl",
          "-o",
          `${dir}/trace`,
          Deno.execPath(),
          "run",
          "--quiet",
          "--allow-read",
          "--allow-write",
          script,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const trace = (await Deno.readTextFile(`${dir}/trace`)).split("\n");
      const renamed = trace.findIndex((l) => /rename.*site\.pem\.ocsp"/.test(l) && / = 0$/.test(l));
      assert.ok(renamed >= 0, "no rename of the staple in the trace");
      // The directory opened after the rename, and the descriptors Deno duplicates it to.
      const after = trace.slice(renamed);
      const fds = new Set<string>();
      let synced = false;
      for (const line of after) {
        const opened = line.match(new RegExp(`openat\\(.*"${dir}/staples/?".* = (\\d+)$`));
        if (opened) fds.add(opened[1]);
        const dup = line.match(/fcntl\((\d+), F_DUPFD(?:_CLOEXEC)?, \d+\)\s+= (\d+)$/);
        if (dup && fds.has(dup[1])) fds.add(dup[2]);
        const sync = line.match(/fsync\((\d+)\)(?:\s+= 0$| <unfinished)/);
        if (sync && fds.has(sync[1])) synced = true;
      }
      assert.ok(fds.size > 0, "the directory is not opened after the rename");
      assert.ok(synced, "the directory is not fsynced after the rename");
    });
  },
});
