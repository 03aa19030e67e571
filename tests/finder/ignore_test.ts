import assert from "node:assert/strict";
import { compileIgnore, findCertFiles } from "../../src/finder/mod.ts";
import { makeTree, relative, removeTree } from "./_helpers.ts";

Deno.test("compileIgnore() matches an absolute pattern against the whole path", () => {
  const ignore = compileIgnore(["/etc/ssl/*.pem"]);
  assert.equal(ignore.matches("/etc/ssl/a.pem"), true);
  assert.equal(ignore.matches("/etc/ssl/sub/a.pem"), false);
  assert.equal(ignore.matches("/other/etc/ssl/a.pem"), false);
  assert.deepEqual(ignore.warnings, []);
});

Deno.test("compileIgnore() matches any other pattern against the last whole components", () => {
  const ignore = compileIgnore(["cert/snakeoil.pem", "snakeoil.pem"]);
  assert.equal(ignore.matches("/etc/ssl/cert/snakeoil.pem"), true);
  assert.equal(ignore.matches("/snakeoil.pem"), true);
  assert.equal(ignore.matches("/etc/ssl/not-snakeoil.pem"), false);
  assert.equal(ignore.matches("/etc/ssl/snakeoil.pem.bak"), false);
  assert.equal(ignore.matches("/etc/ssl/snakeoil.pem/x.pem"), false);
  assert.equal(compileIgnore(["cert/snakeoil.pem"]).matches("/etc/ssl/mycert/snakeoil.pem"), false);
});

Deno.test("compileIgnore() supports * and ? within one component, dotfiles included", () => {
  const ignore = compileIgnore(["test-?.pem", "*.old.pem"]);
  assert.equal(ignore.matches("/etc/ssl/test-1.pem"), true);
  assert.equal(ignore.matches("/etc/ssl/test-12.pem"), false);
  assert.equal(ignore.matches("/etc/ssl/.x.old.pem"), true);
  assert.equal(ignore.matches("/etc/ssl/x.old.pem"), true);
  assert.equal(compileIgnore(["ssl/*"]).matches("/etc/ssl/sub/x.pem"), false);
});

Deno.test("compileIgnore() warns about patterns that look like relative paths and does not use them", () => {
  const ignore = compileIgnore(["../certs/*.pem", "./x.pem", "a/../b.pem", "..", "", "ok.pem"]);
  assert.deepEqual(ignore.warnings, [
    'ignore pattern "../certs/*.pem" looks like a relative path, not a pattern: it is not used',
    'ignore pattern "./x.pem" looks like a relative path, not a pattern: it is not used',
    'ignore pattern "a/../b.pem" looks like a relative path, not a pattern: it is not used',
    'ignore pattern ".." looks like a relative path, not a pattern: it is not used',
    'ignore pattern "" is empty: it is not used',
  ]);
  assert.equal(ignore.matches("/etc/certs/a.pem"), false);
  assert.equal(ignore.matches("/etc/x.pem"), false);
  assert.equal(ignore.matches("/etc/ok.pem"), true);
  assert.equal(compileIgnore(["..data", ".pem"]).warnings.length, 0);
});

Deno.test("compileIgnore() takes a leading ! literally instead of ignoring everything else", () => {
  const ignore = compileIgnore(["!keep.pem"]);
  assert.equal(ignore.matches("/etc/ssl/other.pem"), false);
  assert.equal(ignore.matches("/etc/ssl/!keep.pem"), true);
});

Deno.test("compileIgnore() covers() a path inside an ignored directory", () => {
  const ignore = compileIgnore(["/etc/ssl/private/", "secret"]);
  assert.equal(ignore.covers("/etc/ssl/private"), true);
  assert.equal(ignore.covers("/etc/ssl/private/a.pem"), true);
  assert.equal(ignore.covers("/srv/secret/deep/a.pem"), true);
  assert.equal(ignore.covers("/etc/ssl/privately/a.pem"), false);
  assert.equal(ignore.matches("/etc/ssl/private/a.pem"), false);
  assert.equal(compileIgnore([]).covers("/etc/ssl/a.pem"), false);
});

Deno.test("findCertFiles() leaves out ignored files and prunes ignored directories", async () => {
  const root = await makeTree([
    "a.pem",
    "snakeoil.pem",
    "not-snakeoil.pem",
    "test-1.pem",
    "private/b.pem",
    "sub/private/c.pem",
    "sub/d.pem",
    "abs/e.pem",
  ]);
  try {
    const { files, warnings } = await findCertFiles([root], {
      recursive: true,
      ignore: ["snakeoil.pem", "test-?.pem", "private", `${root}/abs`, "../x/*.pem"],
    });
    assert.deepEqual(relative(root, files), ["a.pem", "not-snakeoil.pem", "sub/d.pem"]);
    assert.deepEqual(warnings, [
      'ignore pattern "../x/*.pem" looks like a relative path, not a pattern: it is not used',
    ]);
  } finally {
    await removeTree(root);
  }
});

Deno.test("findCertFiles() does not look into an ignored directory at all", async () => {
  const root = await makeTree(["a.pem", "private/b.pem"]);
  const listed: string[] = [];
  try {
    const { files } = await findCertFiles([root, `${root}/private/b.pem`], {
      recursive: true,
      ignore: [`${root}/private`],
      fs: {
        readDir(path) {
          listed.push(path);
          return Deno.readDir(path);
        },
      },
    });
    assert.deepEqual(relative(root, files), ["a.pem"]);
    assert.deepEqual(listed, [root]);
  } finally {
    await removeTree(root);
  }
});
