/**
 * Issue 8 item 10: staple reads are bounded. Only regular files are read,
 * nothing blocks on open (a FIFO at `<crt>.ocsp` hung a one-off), and at most
 * the staple size limit is read.
 */
import assert from "node:assert/strict";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { MAX_STAPLE_BYTES, readStaple, type StapleRead } from "../../src/staples/mod.ts";

async function mkfifo(path: string): Promise<void> {
  const out = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(out.success, "mkfifo failed");
}

/**
 * Reads `fifo` with readStaple. Should the read block (the bug), a writer
 * opening and closing the FIFO after a second releases it, so the test fails
 * instead of hanging.
 */
async function readFifoGuarded(fifo: string, path = fifo): Promise<StapleRead> {
  let settled = false;
  const reading = readStaple(path).finally(() => settled = true);
  const guard = setTimeout(async () => {
    if (settled) return;
    const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    await writer.close();
  }, 1000);
  try {
    const got = await reading;
    return got;
  } finally {
    clearTimeout(guard);
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-read-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readStaple() refuses a FIFO without blocking on it", async () => {
  await withDir(async (dir) => {
    await mkfifo(`${dir}/site.pem.ocsp`);
    const got = await readFifoGuarded(`${dir}/site.pem.ocsp`);
    assert.deepEqual(got, { state: "unusable", reason: "it is a FIFO; not read" });
  });
});

Deno.test("readStaple() refuses a symlink to a FIFO without blocking on it", async () => {
  await withDir(async (dir) => {
    await mkfifo(`${dir}/fifo`);
    await Deno.symlink(`${dir}/fifo`, `${dir}/site.pem.ocsp`);
    const got = await readFifoGuarded(`${dir}/fifo`, `${dir}/site.pem.ocsp`);
    assert.equal(got.state, "unusable");
  });
});

Deno.test("readStaple() refuses a directory and a device", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/site.pem.ocsp`);
    assert.deepEqual(await readStaple(`${dir}/site.pem.ocsp`), {
      state: "unusable",
      reason: "it is a directory; not read",
    });
    assert.deepEqual(await readStaple("/dev/zero"), {
      state: "unusable",
      reason: "it is a device; not read",
    });
  });
});

Deno.test("readStaple() does not read a 300 MB file", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/site.pem.ocsp`;
    const file = await Deno.open(path, { write: true, create: true });
    await file.truncate(300 * 1024 * 1024); // sparse: no disk used
    file.close();
    assert.deepEqual(await readStaple(path), {
      state: "unusable",
      reason: `it holds ${
        300 * 1024 * 1024
      } bytes, more than the ${MAX_STAPLE_BYTES}-byte staple limit; not read`,
    });
  });
});

Deno.test("readStaple() reads a regular file up to the limit, and nothing for a missing one", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/site.pem.ocsp`;
    assert.deepEqual(await readStaple(path), { state: "missing" });
    const full = crypto.getRandomValues(new Uint8Array(MAX_STAPLE_BYTES));
    await Deno.writeFile(path, full);
    const { fingerprint, ...read } = await readStaple(path) as { fingerprint?: string };
    assert.deepEqual(read, { state: "read", bytes: full });
    assert.match(fingerprint ?? "", /^[0-9a-z]+(\.[0-9a-z]+){4}$/); // dev, ino, size, mtime, ctime
    await Deno.writeFile(path, new Uint8Array());
    const { fingerprint: again, ...empty } = await readStaple(path) as { fingerprint?: string };
    assert.deepEqual(empty, { state: "read", bytes: new Uint8Array() });
    assert.notEqual(again, fingerprint, "a rewritten file has another fingerprint");
    await Deno.writeFile(path, new Uint8Array(MAX_STAPLE_BYTES + 1));
    assert.equal((await readStaple(path)).state, "unusable");
    assert.equal((await readStaple(path, { maxBytes: MAX_STAPLE_BYTES + 1 })).state, "read");
  });
});

Deno.test("readStaple() rejects a negative cap", async () => {
  await assert.rejects(readStaple("/nonexistent", { maxBytes: -1 }), RangeError);
});
