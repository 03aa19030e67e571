import assert from "node:assert/strict";
import { CertScanner, type ScanResult } from "../../src/finder/mod.ts";
import { collectGarbage, eacces, faultyFs, makeTree, relative, removeTree } from "./_helpers.ts";

/** A scan result with paths relative to `root`, for short assertions. */
function summary(root: string, result: ScanResult) {
  return {
    added: relative(root, result.added),
    changed: relative(root, result.changed),
    removed: result.removed.map((path) => path.slice(root.length + 1)),
    warnings: result.warnings,
  };
}

const QUIET = { added: [], changed: [], removed: [], warnings: [] };

Deno.test("CertScanner.scan() reports every file added at first, then nothing when nothing changed", async () => {
  const root = await makeTree(["b.pem", "a.pem", "sub/c.crt"]);
  try {
    const scanner = new CertScanner([root], { recursive: true });
    assert.deepEqual(summary(root, await scanner.scan()), {
      ...QUIET,
      added: ["a.pem", "b.pem", "sub/c.crt"],
    });
    assert.equal(scanner.size, 3);
    assert.deepEqual(summary(root, await scanner.scan()), QUIET);
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() does not keep its result once returned (the files found can be collected)", async () => {
  const root = await makeTree(["a.pem", "b.pem"]);
  try {
    const scanner = new CertScanner([root]);
    const found = new WeakRef((await scanner.scan()).added);
    await collectGarbage();
    assert.equal(found.deref(), undefined);
    assert.equal(scanner.size, 2);
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() reports new and deleted files", async () => {
  const root = await makeTree(["a.pem", "b.pem"]);
  try {
    const scanner = new CertScanner([root]);
    await scanner.scan();
    await Deno.remove(`${root}/a.pem`);
    await Deno.writeTextFile(`${root}/c.pem`, "x");
    assert.deepEqual(summary(root, await scanner.scan()), {
      ...QUIET,
      added: ["c.pem"],
      removed: ["a.pem"],
    });
    assert.equal(scanner.size, 2);
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() notices a changed modification time alone", async () => {
  const root = await makeTree({ "a.pem": "same" });
  try {
    const scanner = new CertScanner([root]);
    await Deno.utime(`${root}/a.pem`, 0, 1_000);
    await scanner.scan();
    await Deno.utime(`${root}/a.pem`, 0, 1_000.001);
    const result = await scanner.scan();
    assert.deepEqual(summary(root, result), { ...QUIET, changed: ["a.pem"] });
    assert.equal(result.changed[0].mtimeMs, 1_000_001);
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() notices a changed size alone", async () => {
  const root = await makeTree({ "a.pem": "short" });
  try {
    const scanner = new CertScanner([root]);
    await Deno.utime(`${root}/a.pem`, 0, 1_000);
    await scanner.scan();
    await Deno.writeTextFile(`${root}/a.pem`, "longer");
    await Deno.utime(`${root}/a.pem`, 0, 1_000);
    assert.deepEqual(summary(root, await scanner.scan()), { ...QUIET, changed: ["a.pem"] });
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() notices a file replaced by rename with the same size and mtime", async () => {
  const root = await makeTree({ "a.pem": "old!" });
  try {
    const scanner = new CertScanner([root]);
    await Deno.utime(`${root}/a.pem`, 0, 1_000);
    await scanner.scan();
    await Deno.writeTextFile(`${root}/.a.pem.new`, "new!");
    await Deno.utime(`${root}/.a.pem.new`, 0, 1_000);
    await Deno.rename(`${root}/.a.pem.new`, `${root}/a.pem`);
    const result = await scanner.scan();
    assert.deepEqual(summary(root, result), { ...QUIET, changed: ["a.pem"] });
    assert.equal(result.changed[0].ino, (await Deno.stat(`${root}/a.pem`)).ino);
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() notices a symbolic link re-pointed to another file", async () => {
  const root = await makeTree({
    "archive/cert1.pem": "one",
    "archive/cert2.pem": "two",
    "live/": "",
  });
  try {
    await Deno.symlink("../archive/cert1.pem", `${root}/live/fullchain.pem`);
    const scanner = new CertScanner([`${root}/live`]);
    assert.deepEqual(summary(root, await scanner.scan()).added, ["live/fullchain.pem"]);
    await Deno.symlink("../archive/cert2.pem", `${root}/live/.tmp-link`);
    await Deno.rename(`${root}/live/.tmp-link`, `${root}/live/fullchain.pem`);
    assert.deepEqual(summary(root, await scanner.scan()), {
      ...QUIET,
      changed: ["live/fullchain.pem"],
    });
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() never opens or reads a file", async () => {
  const root = await makeTree(["a.pem", "sub/b.pem"]);
  const names = [
    "open",
    "openSync",
    "readFile",
    "readFileSync",
    "readTextFile",
    "readTextFileSync",
  ];
  const denoRecord = Deno as unknown as Record<string, unknown>;
  const saved = names.map((name) => denoRecord[name]);
  const reads: string[] = [];
  try {
    for (const name of names) {
      denoRecord[name] = (path: unknown) => {
        reads.push(`${name} ${path}`);
        throw new Error(`${name} called`);
      };
    }
    const scanner = new CertScanner([root], { recursive: true });
    const first = await scanner.scan();
    await Deno.writeTextFile(`${root}/a.pem`, "changed", { append: true });
    const second = await scanner.scan();
    assert.equal(first.added.length, 2);
    assert.equal(second.changed.length, 1);
  } finally {
    names.forEach((name, i) => (denoRecord[name] = saved[i]));
    await removeTree(root);
  }
  assert.deepEqual(reads, []);
});

Deno.test("CertScanner.scan() keeps the files of a directory it cannot read this time", async () => {
  const root = await makeTree(["a.pem", "private/b.pem", "private/deep/c.pem"]);
  try {
    let fail = false;
    const fs = faultyFs({});
    const blocked = faultyFs({ readDir: { [`${root}/private`]: eacces(`${root}/private`) } });
    const scanner = new CertScanner([root], {
      recursive: true,
      fs: {
        stat: (path) => (fail ? blocked : fs).stat(path),
        readDir: (path) => (fail ? blocked : fs).readDir(path),
      },
    });
    assert.equal((await scanner.scan()).added.length, 3);
    fail = true;
    assert.deepEqual(summary(root, await scanner.scan()), {
      ...QUIET,
      warnings: [`${root}/private: cannot read directory: permission denied`],
    });
    assert.equal(scanner.size, 3);
    fail = false;
    assert.deepEqual(summary(root, await scanner.scan()), QUIET);
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() removes the files of a cert path that is gone, with a warning", async () => {
  const root = await makeTree(["certs/a.pem", "certs/b.pem"]);
  try {
    const scanner = new CertScanner([`${root}/certs`]);
    await scanner.scan();
    await Deno.remove(`${root}/certs`, { recursive: true });
    assert.deepEqual(summary(root, await scanner.scan()), {
      ...QUIET,
      removed: ["certs/a.pem", "certs/b.pem"],
      warnings: [`${root}/certs: cert path does not exist`],
    });
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() gives the ignore pattern warnings with the first scan only", async () => {
  const root = await makeTree(["a.pem"]);
  try {
    const scanner = new CertScanner([root], { ignore: ["./a.pem"] });
    assert.deepEqual((await scanner.scan()).warnings, [
      'ignore pattern "./a.pem" looks like a relative path, not a pattern: it is not used',
    ]);
    assert.deepEqual((await scanner.scan()).warnings, []);
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.forget() makes the next scan report the file added again", async () => {
  const root = await makeTree(["a.pem", "b.pem"]);
  try {
    const scanner = new CertScanner([root]);
    await scanner.scan();
    assert.equal(scanner.forget(`${root}/a.pem`), true);
    assert.equal(scanner.forget(`${root}/nothing.pem`), false);
    assert.deepEqual(summary(root, await scanner.scan()), { ...QUIET, added: ["a.pem"] });
  } finally {
    await removeTree(root);
  }
});

Deno.test("CertScanner.scan() runs scans one after another when called while one runs", async () => {
  const root = await makeTree(["a.pem", "b.pem"]);
  try {
    let active = 0;
    let most = 0;
    const scanner = new CertScanner([root], {
      fs: {
        async *readDir(path) {
          active++;
          most = Math.max(most, active);
          await Promise.resolve();
          yield* Deno.readDir(path);
          active--;
        },
      },
    });
    const [first, second, third] = await Promise.all([
      scanner.scan(),
      scanner.scan(),
      scanner.scan(),
    ]);
    assert.equal(most, 1);
    assert.deepEqual(summary(root, first).added, ["a.pem", "b.pem"]);
    assert.deepEqual(summary(root, second), QUIET);
    assert.deepEqual(summary(root, third), QUIET);
  } finally {
    await removeTree(root);
  }
});

Deno.test("new CertScanner() checks its options at once", () => {
  assert.throws(
    () => new CertScanner(["/etc/ssl"], { extensions: ["sctl"] }),
    new RangeError(
      'Cannot find certificate files: extension "sctl" names a file HAProxy loads beside a certificate',
    ),
  );
});
