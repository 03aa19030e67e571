import assert from "node:assert/strict";
import { findCertFiles } from "../../src/finder/mod.ts";
import { eacces, faultyFs, makeTree, relative, removeTree } from "./_helpers.ts";

Deno.test("findCertFiles() keeps crt, pem and cer files in any case and skips the rest", async () => {
  const root = await makeTree(["a.pem", "b.CRT", "c.cer", "d.txt", "e.der", "pem", "f.pem.bak"]);
  try {
    const { files, warnings } = await findCertFiles([root]);
    assert.deepEqual(relative(root, files), ["a.pem", "b.CRT", "c.cer"]);
    assert.deepEqual(warnings, []);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() uses the given extensions, with or without a dot", async () => {
  const root = await makeTree(["a.pem", "b.crt", "c.bundle"]);
  try {
    const { files } = await findCertFiles([root], { extensions: [".Bundle", "crt"] });
    assert.deepEqual(relative(root, files), ["b.crt", "c.bundle"]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() refuses unusable extensions with a RangeError", async () => {
  await assert.rejects(
    findCertFiles(["/nowhere"], { extensions: [""] }),
    new RangeError('Cannot find certificate files: extension "" is empty'),
  );
  await assert.rejects(
    findCertFiles(["/nowhere"], { extensions: ["pem.ocsp"] }),
    new RangeError('Cannot find certificate files: extension "pem.ocsp" holds a "." or "/"'),
  );
  await assert.rejects(
    findCertFiles(["/nowhere"], { extensions: ["key"] }),
    new RangeError(
      'Cannot find certificate files: extension "key" names a file HAProxy loads beside a certificate',
    ),
  );
  await assert.rejects(
    findCertFiles([""]),
    new RangeError("Cannot find certificate files: a cert path is empty"),
  );
});

Deno.test("findCertFiles() looks only at direct entries unless recursive", async () => {
  const root = await makeTree(["a.pem", "sub/b.pem", "sub/deeper/c.pem"]);
  try {
    assert.deepEqual(relative(root, (await findCertFiles([root])).files), ["a.pem"]);
    const { files } = await findCertFiles([root], { recursive: true });
    assert.deepEqual(relative(root, files), ["a.pem", "sub/b.pem", "sub/deeper/c.pem"]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() skips dotfiles, dot directories, sibling files and stapled's temp files", async () => {
  const root = await makeTree([
    "a.pem",
    ".hidden.pem",
    "a.pem.ocsp",
    "a.pem.issuer",
    "a.pem.key",
    "a.pem.sctl",
    "b.pem.OCSP",
    ".a.pem.ocsp.Xy12ab.tmp",
    ".git/c.pem",
    "..data/d.pem",
  ]);
  try {
    const { files } = await findCertFiles([root], { recursive: true });
    assert.deepEqual(relative(root, files), ["a.pem"]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() keeps a file given as a cert path whatever its extension", async () => {
  const root = await makeTree(["site.bundle", ".dotted", "other.bundle"]);
  try {
    const { files, warnings } = await findCertFiles([`${root}/site.bundle`, `${root}/.dotted`]);
    assert.deepEqual(relative(root, files), [".dotted", "site.bundle"]);
    assert.deepEqual(warnings, []);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() gives fingerprints from stat", async () => {
  const root = await makeTree({ "a.pem": "12345" });
  try {
    await Deno.utime(`${root}/a.pem`, 1_000, 1_700_000_000.5);
    const [file] = (await findCertFiles([root])).files;
    const info = await Deno.stat(`${root}/a.pem`);
    assert.deepEqual(file, {
      path: `${root}/a.pem`,
      mtimeMs: 1_700_000_000_500,
      size: 5,
      ino: info.ino,
      dev: info.dev,
      ctimeMs: info.ctime!.getTime(),
    });
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() lists each file once when cert paths overlap", async () => {
  const root = await makeTree(["a.pem", "sub/b.pem"]);
  try {
    const { files } = await findCertFiles(
      [
        `${root}/sub/b.pem`,
        root,
        `${root}/sub`,
        `${root}/`,
        `${root}/a.pem`,
        `${root}//sub/../a.pem`,
      ],
      { recursive: true },
    );
    assert.deepEqual(relative(root, files), ["a.pem", "sub/b.pem"]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() resolves relative cert paths against cwd", async () => {
  const root = await makeTree(["certs/a.pem"]);
  try {
    const { files } = await findCertFiles(["certs"], { cwd: root });
    assert.deepEqual(relative(root, files), ["certs/a.pem"]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() follows symbolic links to files and keeps the path as found", async () => {
  const root = await makeTree(["store/real.pem", "live/"]);
  try {
    await Deno.symlink("../store/real.pem", `${root}/live/fullchain.pem`);
    await Deno.symlink("../store/real.pem", `${root}/live/fullchain.txt`);
    const { files } = await findCertFiles([`${root}/live`]);
    assert.deepEqual(relative(root, files), ["live/fullchain.pem"]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() ends on a symbolic link loop and lists each directory once", async () => {
  const root = await makeTree(["a/a.pem", "a/b/b.pem"]);
  try {
    await Deno.symlink("..", `${root}/a/b/up`);
    await Deno.symlink(`${root}/a`, `${root}/a/b/loop`);
    await Deno.symlink("b", `${root}/a/also-b`);
    const { files, warnings } = await findCertFiles([`${root}/a`], { recursive: true });
    // "also-b" sorts before "b", so b's files are found through it.
    assert.deepEqual(relative(root, files), ["a/a.pem", "a/also-b/b.pem"]);
    assert.deepEqual(warnings, []);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() warns about a broken symbolic link named like a certificate", async () => {
  const root = await makeTree(["a.pem"]);
  try {
    await Deno.symlink("gone.pem", `${root}/b.pem`);
    await Deno.symlink("gone", `${root}/notes`);
    const { files, warnings } = await findCertFiles([root], { recursive: true });
    assert.deepEqual(relative(root, files), ["a.pem"]);
    assert.deepEqual(warnings, [`${root}/b.pem: broken symbolic link`]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() warns about a cert path that does not exist and goes on", async () => {
  const root = await makeTree(["a.pem"]);
  try {
    const { files, warnings } = await findCertFiles([`${root}/missing`, root]);
    assert.deepEqual(relative(root, files), ["a.pem"]);
    assert.deepEqual(warnings, [`${root}/missing: cert path does not exist`]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() skips a file that vanishes between listing and stat", async () => {
  const root = await makeTree(["a.pem", "b.pem", "c.pem"]);
  try {
    const { files, warnings } = await findCertFiles([root], {
      fs: {
        async *readDir(path) {
          yield* Deno.readDir(path);
          await Deno.remove(`${root}/b.pem`);
        },
      },
    });
    assert.deepEqual(relative(root, files), ["a.pem", "c.pem"]);
    assert.deepEqual(warnings, []);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() warns once about a directory it cannot read and goes on", async () => {
  const root = await makeTree(["a.pem", "private/b.pem", "public/c.pem"]);
  try {
    const fs = faultyFs({ readDir: { [`${root}/private`]: eacces(`${root}/private`) } });
    const { files, warnings } = await findCertFiles([root], { recursive: true, fs });
    assert.deepEqual(relative(root, files), ["a.pem", "public/c.pem"]);
    assert.deepEqual(warnings, [
      `${root}/private: cannot read directory: permission denied`,
    ]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() warns once about a file it cannot stat and goes on", async () => {
  const root = await makeTree(["a.pem", "b.pem"]);
  try {
    const fs = faultyFs({ stat: { [`${root}/a.pem`]: eacces(`${root}/a.pem`) } });
    const { files, warnings } = await findCertFiles([root], { fs });
    assert.deepEqual(relative(root, files), ["b.pem"]);
    assert.deepEqual(warnings, [`${root}/a.pem: cannot stat: permission denied`]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() warns about a cert path it cannot stat", async () => {
  const root = await makeTree(["a.pem"]);
  try {
    const fs = faultyFs({ stat: { [root]: eacces(root) } });
    const { files, warnings } = await findCertFiles([root], { fs });
    assert.deepEqual(files, []);
    assert.deepEqual(warnings, [`${root}: cannot stat cert path: permission denied`]);
  } finally {
    await removeTree(root);
  }
});

Deno.test({
  name: "findCertFiles() warns about directories that permissions keep it out of (not as root)",
  ignore: Deno.uid() === 0,
  async fn() {
    const root = await makeTree(["a.pem", "closed/b.pem", "listable/c.pem"]);
    try {
      await Deno.chmod(`${root}/closed`, 0o000);
      await Deno.chmod(`${root}/listable`, 0o600);
      const { files, warnings } = await findCertFiles([root], { recursive: true });
      assert.deepEqual(relative(root, files), ["a.pem"]);
      assert.deepEqual(warnings, [
        `${root}/closed: cannot read directory: permission denied`,
        `${root}/listable/c.pem: cannot stat: permission denied`,
      ]);
    } finally {
      await removeTree(root);
    }
  },
});

Deno.test("findCertFiles() skips a named pipe named like a certificate without opening it", async () => {
  const root = await makeTree(["a.pem"]);
  try {
    const mkfifo = await new Deno.Command("mkfifo", { args: [`${root}/pipe.pem`] }).output();
    assert.ok(mkfifo.success);
    const { files } = await findCertFiles([root]);
    assert.deepEqual(relative(root, files), ["a.pem"]);
    const given = await findCertFiles([`${root}/pipe.pem`]);
    assert.deepEqual(given.files, []);
    assert.deepEqual(given.warnings, [
      `${root}/pipe.pem: cert path is not a regular file or directory`,
    ]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() with extension * keeps every file but dotfiles and siblings, as HAProxy loads a crt directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-any-ext-" });
  try {
    for (
      const name of [
        "example.com",
        "b.pem",
        "b.pem.ocsp",
        "b.pem.key",
        "b.pem.issuer",
        "b.sctl",
        ".hidden",
      ]
    ) {
      await Deno.writeTextFile(`${dir}/${name}`, "x");
    }
    const { files } = await findCertFiles([dir], { extensions: ["*"] });
    assert.deepEqual(files.map((f) => f.path.slice(dir.length + 1)), ["b.pem", "example.com"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
