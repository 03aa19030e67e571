/**
 * findIssuerInDirectory(): HAProxy's issuers-chain-path lookup, with
 * certificates made by the openssl CLI.
 */
import assert from "node:assert/strict";
import { certificatesIn } from "../../src/certs/bundle.ts";
import { findIssuerInDirectory, IssuerDirectoryCache } from "../../src/certs/issuer_dir.ts";
import { makeCa, makeLeaf, type TestCa } from "../_helpers/openssl_fixtures.ts";

const decoder = new TextDecoder();

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`openssl ${args.join(" ")}: ${decoder.decode(out.stderr)}`);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-issuer-dir-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The leaf alone, as DER, as a bare bundle. */
async function bareLeaf(ca: TestCa, name: string, ext = ""): Promise<Uint8Array[]> {
  if (!ext) {
    const leaf = await makeLeaf(ca, name);
    return certificatesIn(leaf.certPath, await Deno.readFile(leaf.certPath));
  }
  const base = `${ca.dir}/${name}`;
  await Deno.writeTextFile(`${base}.ext`, ext);
  await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    .concat(["-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${name}`]));
  await openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", ca.certPath, "-CAkey", ca.keyPath]
    .concat(["-days", "5", "-extfile", `${base}.ext`, "-out", `${base}.crt`]));
  return certificatesIn(`${base}.crt`, await Deno.readFile(`${base}.crt`));
}

async function skidOf(ca: TestCa): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: ["x509", "-in", ca.certPath, "-noout", "-ext", "subjectKeyIdentifier"],
  }).output();
  return decoder.decode(out.stdout).split("\n")[1].trim();
}

Deno.test("findIssuerInDirectory() finds the CA of a bare leaf in the issuers-chain-path directory", async () => {
  await withDir(async (dir) => {
    const ca = await makeCa(await Deno.makeTempDir({ dir }));
    const other = await makeCa(await Deno.makeTempDir({ dir }));
    await Deno.mkdir(`${dir}/issuers`);
    await Deno.copyFile(other.certPath, `${dir}/issuers/a-other.pem`);
    await Deno.copyFile(ca.certPath, `${dir}/issuers/.b-ours.pem`); // dotfiles too, as HAProxy
    const leaf = await bareLeaf(ca, "a.test");
    const match = await findIssuerInDirectory(`${dir}/issuers`, leaf, {
      cache: new IssuerDirectoryCache(),
    });
    assert.equal(match?.file, `${dir}/issuers/.b-ours.pem`);
    assert.equal(match?.issuer.subject, "CN=Test CA");
  });
});

Deno.test("findIssuerInDirectory() does not look when the bundle holds a chain (HAProxy uses the bundle's)", async () => {
  await withDir(async (dir) => {
    const ca = await makeCa(dir);
    const leaf = await makeLeaf(ca, "a.test");
    await Deno.mkdir(`${dir}/issuers`);
    await Deno.copyFile(ca.certPath, `${dir}/issuers/ca.pem`);
    const bundle = certificatesIn(leaf.bundlePath, await Deno.readFile(leaf.bundlePath));
    assert.equal(bundle.length, 2);
    assert.equal(await findIssuerInDirectory(`${dir}/issuers`, bundle), undefined);
  });
});

Deno.test("findIssuerInDirectory() takes only a file's first certificate as the issuer, as HAProxy", async () => {
  await withDir(async (dir) => {
    const ca = await makeCa(await Deno.makeTempDir({ dir }));
    const other = await makeCa(await Deno.makeTempDir({ dir }));
    await Deno.mkdir(`${dir}/issuers`);
    await Deno.writeTextFile(
      `${dir}/issuers/chain.pem`,
      (await Deno.readTextFile(other.certPath)) + (await Deno.readTextFile(ca.certPath)),
    );
    const leaf = await bareLeaf(ca, "a.test");
    assert.equal(await findIssuerInDirectory(`${dir}/issuers`, leaf), undefined);
  });
});

Deno.test("findIssuerInDirectory() finds nothing for a leaf without an authority key identifier (HAProxy looks up by it)", async () => {
  await withDir(async (dir) => {
    const ca = await makeCa(dir);
    await Deno.mkdir(`${dir}/issuers`);
    await Deno.copyFile(ca.certPath, `${dir}/issuers/ca.pem`);
    const leaf = await bareLeaf(ca, "a.test", "authorityKeyIdentifier=none\n");
    assert.equal(await findIssuerInDirectory(`${dir}/issuers`, leaf), undefined);
  });
});

Deno.test("findIssuerInDirectory() refuses a look-alike CA (same name and key identifier) that did not sign the leaf", async () => {
  await withDir(async (dir) => {
    const ca = await makeCa(await Deno.makeTempDir({ dir }));
    const fake: TestCa = { ...ca, dir: `${dir}/fake`, certPath: `${dir}/fake/ca.pem` };
    await Deno.mkdir(fake.dir);
    await openssl(
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        .concat(["-nodes", "-keyout", `${fake.dir}/ca.key`, "-out", fake.certPath, "-days", "5"])
        .concat(["-subj", "/CN=Test CA", "-addext", `subjectKeyIdentifier=${await skidOf(ca)}`]),
    );
    await Deno.mkdir(`${dir}/issuers`);
    await Deno.copyFile(fake.certPath, `${dir}/issuers/a.pem`); // HAProxy takes this one first
    await Deno.copyFile(ca.certPath, `${dir}/issuers/b.pem`);
    const leaf = await bareLeaf(ca, "a.test");
    assert.equal(await findIssuerInDirectory(`${dir}/issuers`, leaf), undefined);
  });
});

Deno.test("findIssuerInDirectory() parses each file once, and reads the directory again when nothing matches", async () => {
  await withDir(async (dir) => {
    const ca = await makeCa(await Deno.makeTempDir({ dir }));
    const late = await makeCa(await Deno.makeTempDir({ dir }));
    await Deno.mkdir(`${dir}/issuers`);
    const file = `${dir}/issuers/ca.pem`;
    await Deno.copyFile(ca.certPath, file);
    const cache = new IssuerDirectoryCache();
    const leaf = await bareLeaf(ca, "a.test");
    assert.equal((await findIssuerInDirectory(`${dir}/issuers`, leaf, { cache }))?.file, file);
    // Same size and modification time, other bytes: the parsed copy is kept.
    const { size, mtime } = await Deno.stat(file);
    await Deno.writeTextFile(file, "x".repeat(size));
    await Deno.utime(file, mtime!, mtime!);
    const lateLeaf = await bareLeaf(late, "b.test");
    await Deno.copyFile(late.certPath, `${dir}/issuers/late.pem`);
    assert.equal((await findIssuerInDirectory(`${dir}/issuers`, leaf, { cache }))?.file, file);
    assert.equal(
      (await findIssuerInDirectory(`${dir}/issuers`, lateLeaf, { cache }))?.file,
      `${dir}/issuers/late.pem`,
    );
  });
});
