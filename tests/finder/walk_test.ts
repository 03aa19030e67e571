import assert from "node:assert/strict";
import { type FinderWarning, walkCertFiles } from "../../src/finder/mod.ts";
import { eacces, faultyFs, makeTree, relative, removeTree } from "./_helpers.ts";

Deno.test("walkCertFiles() yields given files first, then directories breadth first by name", async () => {
  const root = await makeTree(["z.pem", "b/deep/c.pem", "b/b.pem", "a/a.pem", "given.txt"]);
  try {
    const found = [];
    for await (const file of walkCertFiles([root, `${root}/given.txt`], { recursive: true })) {
      found.push(file);
    }
    assert.deepEqual(relative(root, found), [
      "given.txt",
      "z.pem",
      "a/a.pem",
      "b/b.pem",
      "b/deep/c.pem",
    ]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("walkCertFiles() tells unreadable places from missing ones in its warnings", async () => {
  const root = await makeTree(["a.pem", "locked/b.pem"]);
  try {
    const warnings: FinderWarning[] = [];
    const fs = faultyFs({ readDir: { [`${root}/locked`]: eacces(`${root}/locked`) } });
    const walk = walkCertFiles([root, `${root}/gone`], {
      recursive: true,
      ignore: ["./x"],
      fs,
      onWarning: (warning) => warnings.push(warning),
    });
    for await (const _file of walk) { /* drain */ }
    assert.deepEqual(warnings, [
      {
        path: "",
        message: 'ignore pattern "./x" looks like a relative path, not a pattern: it is not used',
        unreadable: false,
      },
      {
        path: `${root}/gone`,
        message: `${root}/gone: cert path does not exist`,
        unreadable: false,
      },
      {
        path: `${root}/locked`,
        message: `${root}/locked: cannot read directory: permission denied`,
        unreadable: true,
      },
    ]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("walkCertFiles() stats only the entries that may be certificates or directories", async () => {
  const root = await makeTree(["a.pem", "notes.txt", "a.pem.ocsp", ".hidden.pem", "sub/b.txt"]);
  try {
    const fs = faultyFs({});
    for await (const _file of walkCertFiles([root], { fs })) { /* drain */ }
    assert.deepEqual(fs.calls, [`stat ${root}`, `readDir ${root}`, `stat ${root}/a.pem`]);
  } finally {
    await removeTree(root);
  }
});
