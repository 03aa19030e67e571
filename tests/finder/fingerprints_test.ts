import assert from "node:assert/strict";
import { FingerprintTable } from "../../src/finder/_fingerprints.ts";
import type { FoundFile } from "../../src/finder/mod.ts";

function file(i: number, change = 0): FoundFile {
  return {
    path: `/etc/haproxy/certs/site-${i}.example.com.pem`,
    mtimeMs: 1_700_000_000_000 + i + change,
    size: 3000 + (i % 500),
    ino: 1_000_000 + i,
    dev: 2049,
  };
}

Deno.test("FingerprintTable holds 100,000 files in flat arrays and tells changes apart", () => {
  const count = 100_000;
  const table = new FingerprintTable();
  table.beginPass();
  for (let i = 0; i < count; i++) assert.equal(table.record(file(i)), "added");
  assert.deepEqual(table.endPass(), []);
  assert.equal(table.size, count);
  // Typed arrays hold the fingerprints: at most 36 bytes a file, doubled while growing.
  assert.ok(table.byteLength <= 2 * 36 * count, `byteLength ${table.byteLength}`);

  table.beginPass();
  const outcomes = { added: 0, changed: 0, same: 0, repeat: 0 };
  for (let i = 0; i < count; i++) {
    if (i % 10_000 === 5) continue; // 10 files removed
    outcomes[table.record(file(i, i % 10_000 === 7 ? 1 : 0))]++; // 10 files changed
  }
  outcomes[table.record(file(count))]++; // 1 file added
  outcomes[table.record(file(0))]++; // recorded twice in one pass
  const removed = table.endPass();
  assert.deepEqual(outcomes, { added: 1, changed: 10, same: count - 20, repeat: 1 });
  assert.equal(removed.length, 10);
  assert.equal(removed[0], file(5).path);
  assert.equal(table.size, count - 10 + 1);
  const { path: _path, ...fingerprint } = file(7, 1);
  assert.deepEqual(table.get(file(7).path), fingerprint);
  assert.equal(table.get(file(5).path), undefined);
});

Deno.test("FingerprintTable reuses the slots of forgotten files", () => {
  const table = new FingerprintTable();
  table.beginPass();
  for (let i = 0; i < 256; i++) table.record(file(i));
  const full = table.byteLength;
  assert.equal(table.delete(file(3).path), true);
  assert.equal(table.delete(file(3).path), false);
  assert.equal(table.record(file(1000)), "added");
  assert.equal(table.byteLength, full);
  assert.equal(table.record(file(3)), "added");
  assert.ok(table.byteLength > full);
});

Deno.test("FingerprintTable.endPass() keeps the unrecorded files it is told to keep", () => {
  const table = new FingerprintTable();
  table.beginPass();
  table.record(file(1));
  table.record(file(2));
  table.endPass();
  table.beginPass();
  assert.deepEqual(table.endPass((path) => path === file(1).path), [file(2).path]);
  assert.equal(table.size, 1);
});
