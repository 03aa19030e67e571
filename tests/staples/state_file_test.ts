/**
 * The state file store: records set, changed and deleted come back from the
 * file after a flush; lines are found by their path however many share a
 * hash; a path's last line counts; lines that are not a path's are ignored.
 */
import assert from "node:assert/strict";
import {
  type BundleRecord,
  FileStateStore,
  STATE_FILE_NAME,
  type StateRecord,
} from "../../src/staples/state.ts";
import { hashOf, StateLines } from "../../src/staples/_state_lines.ts";

const record = (i: number): StateRecord => ({
  check: `check-${i}`,
  producedAt: 1_000 + i,
  thisUpdate: 2_000 + i,
  nextUpdate: 3_000 + i,
  expiresAt: 4_000 + i,
  signer: i % 2 ? "delegated" : "issuer",
  signerNotAfter: 5_000 + i,
});

const bundle = (i: number): BundleRecord => ({
  fingerprint: `fp-${i}`,
  identity: `id-${i}`,
  issuer: "issuer-digest",
  selfContained: true,
  notAfter: 6_000 + i,
  ocspUrls: ["http://ocsp.example.test/"],
  facts: { subject: `CN=${i}`, san: [`DNS:${i}.test`], serial: `${i}`, mustStaple: false },
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-state-file-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FileStateStore gives back what was set, changed and deleted, before and after a flush and reopen", async () => {
  await withDir(async (dir) => {
    const state = FileStateStore.open(dir)!;
    for (let i = 0; i < 50; i++) {
      state.set(`/c/${i}.pem`, record(i));
      state.setBundle(`/c/${i}.pem`, bundle(i));
    }
    await state.flush();
    state.set("/c/1.pem", record(101)); // changed after the flush
    state.delete("/c/2.pem"); // staple record gone, bundle record kept
    state.setBundle("/c/3.pem", bundle(103));
    state.set("/c/new.pem", record(200));
    const check = (s: FileStateStore) => {
      assert.deepEqual(s.get("/c/0.pem"), record(0));
      assert.deepEqual(s.getBundle("/c/0.pem"), bundle(0));
      assert.deepEqual(s.get("/c/1.pem"), record(101));
      assert.equal(s.get("/c/2.pem"), undefined);
      assert.deepEqual(s.getBundle("/c/2.pem"), bundle(2));
      assert.deepEqual(s.get("/c/3.pem"), record(3));
      assert.deepEqual(s.getBundle("/c/3.pem"), bundle(103));
      assert.deepEqual(s.get("/c/new.pem"), record(200));
      assert.equal(s.getBundle("/c/new.pem"), undefined);
      assert.deepEqual(s.get("/c/49.pem"), record(49));
      assert.equal(s.get("/c/50.pem"), undefined);
    };
    check(state);
    await state.flush();
    check(state);
    check(FileStateStore.open(dir)!);
    const text = await Deno.readTextFile(`${dir}/${STATE_FILE_NAME}`);
    assert.equal(text.split("\n").filter((l) => l.startsWith('"/c/1.pem"\t')).length, 1);
  });
});

Deno.test("FileStateStore drops a file's line once neither of its records is left", async () => {
  await withDir(async (dir) => {
    const state = FileStateStore.open(dir)!;
    state.set("/c/a.pem", record(1));
    state.set("/c/b.pem", record(2));
    await state.flush();
    state.delete("/c/a.pem");
    await state.flush();
    const text = await Deno.readTextFile(`${dir}/${STATE_FILE_NAME}`);
    assert.ok(!text.includes('"/c/a.pem"'), text);
    assert.deepEqual(FileStateStore.open(dir)!.get("/c/b.pem"), record(2));
  });
});

Deno.test("FileStateStore reads paths with escaped characters and ignores lines that are no path's", async () => {
  await withDir(async (dir) => {
    const odd = '/c/"quoted"\\back\tslash.pem';
    const first = FileStateStore.open(dir)!;
    first.set(odd, record(7));
    first.set("/c/plain.pem", record(8));
    await first.flush();
    const file = `${dir}/${STATE_FILE_NAME}`;
    const [head, ...lines] = (await Deno.readTextFile(file)).split("\n");
    const junk = ["not a line", '"/c/no-rows.pem"', '"\\u002fc/plain.pem"\tx\t', '"/c/x.pem\tx\t'];
    await Deno.writeTextFile(file, [head, ...junk, ...lines].join("\n"));
    const state = FileStateStore.open(dir)!;
    assert.deepEqual(state.get(odd), record(7));
    assert.deepEqual(state.get("/c/plain.pem"), record(8), "the line written as stapled writes it");
    assert.equal(state.get("/c/no-rows.pem"), undefined);
  });
});

Deno.test("StateLines finds each path's line when paths share a hash, and a path's last line counts", () => {
  const seen = new Map<number, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; !pair; i++) {
    const quoted = JSON.stringify(`/etc/ssl/site-${i}.pem`);
    const h = hashOf(quoted);
    const other = seen.get(h);
    if (other) pair = [other, quoted];
    else seen.set(h, quoted);
  }
  const [a, b] = pair;
  const text = `{}\n${a}\told\t\n${b}\tb1\tb2\n${a}\ta1\ta2\n`;
  const lines = new StateLines(text, 3);
  assert.equal(lines.row(a), "a1\ta2");
  assert.equal(lines.row(b), "b1\tb2");
  assert.equal(lines.size, 2);
  assert.deepEqual(lines.lines(), [`${b}\tb1\tb2`, `${a}\ta1\ta2`]);
  assert.deepEqual(lines.lines(new Set([a])), [`${b}\tb1\tb2`]);
});
