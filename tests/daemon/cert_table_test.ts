/**
 * The engine's certificate table: the sources listing a file, kept in the
 * order they first listed it, one file's changes never showing in
 * another's, however many share the same sources.
 */
import assert from "node:assert/strict";
import { CertTable } from "../../src/daemon/_table.ts";

const table = () =>
  new CertTable<string>([
    { paths: ["/a"], sockets: ["s0"] },
    { paths: ["/b"], sockets: ["s1"] },
  ]);

Deno.test("CertTable keeps each file's sources apart when files share them", () => {
  const t = table();
  for (const path of ["/c/1.pem", "/c/2.pem", "/c/3.pem"]) t.found(path, 0, new Set(), true, false);
  t.found("/c/1.pem", 1, new Set(), false, false);
  t.found("/c/2.pem", 1, new Set(), false, false);
  assert.equal(t.removed("/c/2.pem", 0), false);
  const sources = (p: string) => [...t.entries.get(p)!.sources];
  assert.deepEqual(sources("/c/1.pem"), [0, 1]);
  assert.deepEqual(sources("/c/2.pem"), [1]);
  assert.deepEqual(sources("/c/3.pem"), [0]);
  assert.deepEqual(t.socketsOf(t.entries.get("/c/2.pem")!), ["s1"]);
  assert.equal(t.removed("/c/3.pem", 0), true, "no source lists it any more");
  assert.deepEqual(sources("/c/1.pem"), [0, 1]);
});

Deno.test("CertTable's first source of a file is the first that listed it", () => {
  const t = table();
  t.found("/c/1.pem", 1, new Set(), true, false);
  t.found("/c/1.pem", 0, new Set(), false, false);
  t.found("/c/2.pem", 0, new Set(), true, false);
  t.found("/c/2.pem", 1, new Set(), false, false);
  assert.deepEqual(t.sourceOf(t.entries.get("/c/1.pem")!).paths, ["/b"]);
  assert.deepEqual(t.sourceOf(t.entries.get("/c/2.pem")!).paths, ["/a"]);
  const changed = new Set<string>();
  assert.equal(t.found("/c/1.pem", 1, changed, true, false), "parse", "changed: read again");
  assert.deepEqual([...t.entries.get("/c/1.pem")!.sources], [1, 0]);
});
