import assert from "node:assert/strict";
import { ISSUER_MISSING, readBundle } from "../../../src/certs/mod.ts";
import { CertParsingError } from "../../../src/errors/mod.ts";
import { haproxyStapleFiles } from "../../../src/haproxy/config/mod.ts";
import { TestCa, writeBundle } from "../../../scripts/lib/pki.ts";
import { withTempDir } from "./_helpers.ts";

const ALL = { ocsp: true, issuer: true };
const NO_ISSUER = { ocsp: true, issuer: false, origin: "/etc/haproxy/haproxy.cfg:3" };
const NO_OCSP = { ocsp: false, issuer: true, origin: "/etc/haproxy/haproxy.cfg:3" };

Deno.test("haproxyStapleFiles() keeps <crt>.ocsp and <crt>.issuer for certificates of -p paths", () => {
  assert.deepEqual(haproxyStapleFiles("/s/site.crt"), {
    staple: "/s/site.crt.ocsp",
    issuerFile: "/s/site.crt.issuer",
    loadedAtStart: true,
  });
});

Deno.test("haproxyStapleFiles() names the issuer file as HAProxy does under ssl-load-extra-del-ext", () => {
  const files = haproxyStapleFiles("/s/site.crt", { naming: "replace-ext", extraFiles: ALL });
  assert.equal(files.staple, "/s/site.ocsp");
  assert.equal(files.issuerFile, "/s/site.issuer");
  assert.equal(
    haproxyStapleFiles("/s/site.pem", { naming: "replace-ext", extraFiles: ALL }).issuerFile,
    "/s/site.pem.issuer",
  );
});

Deno.test("haproxyStapleFiles() allows no issuer file when HAProxy loads the staple but reads no .issuer", () => {
  const files = haproxyStapleFiles("/s/site.pem", { extraFiles: NO_ISSUER });
  assert.equal(files.issuerFile, null);
  assert.equal(files.loadedAtStart, true);
  assert.equal(
    files.issuerHint,
    "HAProxy does not read /s/site.pem.issuer (ssl-load-extra-files at /etc/haproxy/haproxy.cfg:3 has no 'issuer') and refuses to start with a staple it cannot match, so none is written: add 'issuer' to ssl-load-extra-files or put the issuer in the bundle",
  );
  assert.match(files.decision ?? "", /loaded by HAProxy when it starts .*has 'ocsp'.*no 'issuer'/);
});

Deno.test("haproxyStapleFiles() says a staple without 'ocsp' is not loaded at startup but may still be written and pushed, and says nothing for the default", () => {
  const files = haproxyStapleFiles("/s/site.pem", { extraFiles: NO_OCSP });
  assert.equal(files.loadedAtStart, false);
  assert.equal(files.issuerFile, "/s/site.pem.issuer");
  assert.equal(
    files.decision,
    "not loaded by HAProxy when it starts (ssl-load-extra-files at /etc/haproxy/haproxy.cfg:3 has no 'ocsp'); served only once pushed over the stats socket, until HAProxy reloads",
  );
  assert.equal(haproxyStapleFiles("/s/a.pem", { extraFiles: ALL }).decision, undefined);
  assert.equal(
    haproxyStapleFiles("/s/a.pem", { extraFiles: { ...ALL, origin: "h.cfg:2" } }).decision,
    "loaded by HAProxy when it starts (ssl-load-extra-files at h.cfg:2 has 'ocsp')",
  );
});

Deno.test("readBundle() with HAProxy's issuer rules ignores <crt>.issuer when HAProxy would, and says what to do", async () => {
  const root = await TestCa.root("Extra Files Root");
  const ca = await root.intermediate("Extra Files CA");
  const leaf = await ca.leaf("x.test", { ocspUrls: ["http://127.0.0.1:9/"] });
  await withTempDir(async (dir) => {
    await writeBundle(`${dir}/site.pem`, leaf, []);
    await Deno.writeTextFile(`${dir}/site.pem.issuer`, ca.pem);
    const read = (extraFiles: typeof ALL) => {
      const { issuerFile, issuerHint } = haproxyStapleFiles(`${dir}/site.pem`, { extraFiles });
      return readBundle(`${dir}/site.pem`, { issuerFile, issuerHint });
    };
    const ok = await read(ALL);
    assert.ok("issuerSource" in ok && ok.issuerSource === "issuer-file");
    await assert.rejects(read(NO_ISSUER), (err) => {
      assert.ok(err instanceof CertParsingError);
      assert.ok(err.reason.startsWith(ISSUER_MISSING), err.reason);
      assert.match(err.reason, /is not in the bundle; HAProxy does not read .*site\.pem\.issuer/);
      assert.match(
        err.reason,
        /add 'issuer' to ssl-load-extra-files or put the issuer in the bundle$/,
      );
      return true;
    });
    // The issuer in the bundle is all HAProxy needs.
    await writeBundle(`${dir}/site.pem`, leaf, [ca]);
    const inBundle = await read(NO_ISSUER);
    assert.ok("issuerSource" in inBundle && inBundle.issuerSource === "bundle");
  });
});

Deno.test("readBundle() under ssl-load-extra-del-ext reads <base>.issuer, not <crt>.issuer", async () => {
  const root = await TestCa.root("Del Ext Root");
  const ca = await root.intermediate("Del Ext CA");
  const leaf = await ca.leaf("y.test", { ocspUrls: ["http://127.0.0.1:9/"] });
  await withTempDir(async (dir) => {
    await writeBundle(`${dir}/site.crt`, leaf, []);
    await Deno.writeTextFile(`${dir}/site.crt.issuer`, ca.pem);
    const { issuerFile } = haproxyStapleFiles(`${dir}/site.crt`, {
      naming: "replace-ext",
      extraFiles: ALL,
    });
    await assert.rejects(
      readBundle(`${dir}/site.crt`, { issuerFile }),
      (err) => err instanceof CertParsingError && err.reason.endsWith(`nor in ${dir}/site.issuer`),
    );
    await Deno.rename(`${dir}/site.crt.issuer`, `${dir}/site.issuer`);
    const bundle = await readBundle(`${dir}/site.crt`, { issuerFile });
    assert.ok("issuerSource" in bundle && bundle.issuerSource === "issuer-file");
  });
});

const STORE = { store: "web", origin: "/etc/haproxy/haproxy.cfg:9" };

Deno.test("haproxyStapleFiles() puts a crt-store certificate's staple in the load line's ocsp file, loaded at start", () => {
  const files = haproxyStapleFiles("/c/k2.pem", {
    crtStore: STORE,
    stapleFile: "/c/k2.ocsp",
    issuerFile: "/c/ca.pem",
    extraFiles: { ocsp: true, issuer: true, origin: STORE.origin },
  });
  assert.equal(files.staple, "/c/k2.ocsp");
  assert.equal(files.issuerFile, "/c/ca.pem");
  assert.equal(files.loadedAtStart, true);
  assert.match(files.decision ?? "", /refuses to start while it is missing/);
});

Deno.test("haproxyStapleFiles() never takes <crt>.issuer for a crt-store certificate, and says HAProxy does not load its <crt>.ocsp", () => {
  const files = haproxyStapleFiles("/c/k1.pem", { crtStore: STORE });
  assert.equal(files.staple, "/c/k1.pem.ocsp");
  assert.equal(files.issuerFile, null);
  assert.equal(files.loadedAtStart, false);
  assert.match(
    files.issuerHint ?? "",
    /HAProxy reads no \/c\/k1\.pem\.issuer .*issuers-chain-path/,
  );
  assert.match(files.decision ?? "", /names no 'ocsp' file.*add 'ocsp <file>'/);
});

Deno.test("haproxyStapleFiles() says when HAProxy also updates the staple in memory", () => {
  const files = haproxyStapleFiles("/c/k1.pem", {
    haproxyUpdates: {
      origin: "/etc/haproxy/list.txt:2",
      setting: "ocsp-update on (crt-list line)",
    },
  });
  assert.equal(files.staple, "/c/k1.pem.ocsp");
  assert.equal(
    files.haproxyUpdates,
    "HAProxy also updates it in memory (ocsp-update on (crt-list line) at /etc/haproxy/list.txt:2); stapled keeps /c/k1.pem.ocsp fresh for HAProxy's next start and does not push it",
  );
  assert.equal(files.decision, files.haproxyUpdates);
});
