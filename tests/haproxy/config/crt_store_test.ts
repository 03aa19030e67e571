/**
 * HAProxy 3.0's crt-store sections, `load` lines and `@store/name`
 * references, its own OCSP updater (`ocsp-update`) and the global
 * `issuers-chain-path`, as the config reader sees them. The names and rules
 * were checked against HAProxy 3.0.11 (haproxy3_check_test.ts repeats the
 * important ones against the real thing).
 */
import assert from "node:assert/strict";
import { type HaproxyConfigResult, readHaproxyConfig } from "../../../src/haproxy/config/mod.ts";
import { withTempDir, writeFiles } from "./_helpers.ts";

async function read(dir: string, config: string, files: Record<string, string | null> = {}) {
  await writeFiles(dir, { "haproxy.cfg": config, ...files });
  return await readHaproxyConfig(`${dir}/haproxy.cfg`, { env: () => undefined });
}

function names(result: HaproxyConfigResult, dir: string): [string, string][] {
  return result.certs.map((c) => [c.haproxyPath.replaceAll(dir, "$D"), c.path.replace(dir, "$D")]);
}

function warnings(result: HaproxyConfigResult, dir: string): string[] {
  return result.warnings.map((w) => w.replaceAll(dir, "$D"));
}

const CERTS = {
  "certs/k1.pem": "",
  "certs/k2.pem": "",
  "certs/k4.pem": "",
  "keys/k2.key": "",
  "ssl/k3.pem": "",
};

Deno.test("the configuration of issue 11 serves k1, k2 (key k2.key) and k3 (default-crt)", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `crt-store web
    crt-base ${dir}/certs
    key-base ${dir}/keys
    load crt k1.pem
    load crt k2.pem key k2.key
frontend f1
    bind :443 ssl crt "@web/k1.pem" crt "@web/k2.pem" default-crt ${dir}/ssl/k3.pem
`,
      CERTS,
    );
    assert.deepEqual(warnings(result, dir), []);
    const cfg = `${dir}/haproxy.cfg`;
    assert.deepEqual(result.certs, [
      {
        path: `${dir}/certs/k1.pem`,
        haproxyPath: "@web/k1.pem",
        kind: "file",
        origin: `${cfg}:7`,
        stapleNaming: "append",
        extraFiles: { ocsp: false, issuer: false, origin: `${cfg}:4` },
        crtStore: { store: "web", origin: `${cfg}:4` },
      },
      {
        path: `${dir}/certs/k2.pem`,
        haproxyPath: "@web/k2.pem",
        kind: "file",
        origin: `${cfg}:7`,
        stapleNaming: "append",
        extraFiles: { ocsp: false, issuer: false, origin: `${cfg}:5` },
        crtStore: { store: "web", origin: `${cfg}:5`, keyFile: `${dir}/keys/k2.key` },
      },
      {
        path: `${dir}/ssl/k3.pem`,
        haproxyPath: `${dir}/ssl/k3.pem`,
        kind: "file",
        origin: `${cfg}:7`,
        stapleNaming: "append",
        extraFiles: { ocsp: true, issuer: true },
      },
    ]);
  });
});

Deno.test("a crt-store certificate is named @store/alias with an alias, @store/<crt as written> without", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `crt-store web
    crt-base ${dir}/certs
    load crt k1.pem alias one
    load crt ${dir}/certs/k2.pem
    load crt k4.pem
frontend f
    bind :443 ssl crt @web/one crt @web${dir}/certs/k2.pem crt @web/k4.pem
`,
      CERTS,
    );
    assert.deepEqual(warnings(result, dir), []);
    assert.deepEqual(names(result, dir), [
      ["@web/one", "$D/certs/k1.pem"],
      ["@web$D/certs/k2.pem", "$D/certs/k2.pem"],
      ["@web/k4.pem", "$D/certs/k4.pem"],
    ]);
    assert.equal(result.certs[0].crtStore?.alias, "one");
  });
});

Deno.test("an unnamed crt-store names by @/alias, else by the crt with the global crt-base, never the section's", async () => {
  await withTempDir(async (dir) => {
    // The section's crt-base finds the file; the name is the crt as written.
    const own = await read(
      dir,
      `crt-store
    crt-base ${dir}/certs
    load crt k4.pem
    load crt k1.pem alias one
frontend f
    bind :443 ssl crt k4.pem crt @/one
`,
      CERTS,
    );
    assert.deepEqual(warnings(own, dir), []);
    assert.deepEqual(names(own, dir), [["k4.pem", "$D/certs/k4.pem"], [
      "@/one",
      "$D/certs/k1.pem",
    ]]);
    assert.equal(own.certs[0].crtStore?.store, "");
    // With a global crt-base, the name and the bind line's crt both get it.
    const global = await read(
      dir,
      `global
    crt-base ${dir}/certs
crt-store
    load crt k4.pem
frontend f
    bind :443 ssl crt k4.pem
`,
    );
    assert.deepEqual(names(global, dir), [["$D/certs/k4.pem", "$D/certs/k4.pem"]]);
    assert.ok(global.certs[0].crtStore, "the stored certificate, not a new one");
  });
});

Deno.test("a crt-store section starts from the global crt-base and key-base set before it, and replaces them", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `global
    crt-base ${dir}/certs
    key-base ${dir}/keys
crt-store a
    load crt k2.pem key k2.key
crt-store b
    crt-base ${dir}/ssl
    load crt k3.pem
frontend f
    bind :443 ssl crt @a/k2.pem crt @b/k3.pem crt k1.pem
`,
      CERTS,
    );
    assert.deepEqual(warnings(result, dir), []);
    assert.deepEqual(names(result, dir), [
      ["@a/k2.pem", "$D/certs/k2.pem"],
      ["@b/k3.pem", "$D/ssl/k3.pem"],
      ["$D/certs/k1.pem", "$D/certs/k1.pem"],
    ]);
    assert.equal(result.certs[0].crtStore?.keyFile, `${dir}/keys/k2.key`);
  });
});

Deno.test("a global crt-base after a crt-store section does not apply to it", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `crt-store web
    load crt k1.pem
global
    crt-base ${dir}/certs
frontend f
    bind :443 ssl crt @web/k1.pem
`,
      CERTS,
    );
    assert.deepEqual(names(result, dir), [["@web/k1.pem", "$D/k1.pem"]]);
    assert.deepEqual(warnings(result, dir), [
      `$D/haproxy.cfg:2: certificate $D/k1.pem does not exist`,
    ]);
  });
});

Deno.test("load's ocsp and issuer files are joined to the section's crt-base and say where the staple and issuer are", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `crt-store web
    crt-base ${dir}/certs
    load crt k2.pem ocsp k2.ocsp issuer ../ca/ca.pem sctl k2.sctl
frontend f
    bind :443 ssl crt @web/k2.pem
`,
      { ...CERTS, "certs/k2.ocsp": "", "ca/ca.pem": "" },
    );
    assert.deepEqual(warnings(result, dir), []);
    const [k2] = result.certs;
    assert.equal(k2.stapleFile, `${dir}/certs/k2.ocsp`);
    assert.equal(k2.issuerFile, `${dir}/ca/ca.pem`);
    assert.equal(k2.crtStore?.sctlFile, `${dir}/certs/k2.sctl`);
    assert.deepEqual(k2.extraFiles, { ocsp: true, issuer: true, origin: `${dir}/haproxy.cfg:3` });
  });
});

Deno.test("a load line's missing ocsp file is reported: HAProxy refuses to start without it", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `crt-store web
    crt-base ${dir}/certs
    load crt k1.pem ocsp k1.ocsp
frontend f
    bind :443 ssl crt @web/k1.pem
`,
      CERTS,
    );
    assert.deepEqual(warnings(result, dir), [
      "$D/haproxy.cfg:3: staple file $D/certs/k1.ocsp does not exist; HAProxy refuses to start until stapled writes it",
    ]);
    assert.equal(result.certs[0].stapleFile, `${dir}/certs/k1.ocsp`);
  });
});

Deno.test("crt-store lines HAProxy refuses give warnings and no certificate", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `crt-store web
    crt-base ${dir}/certs
    load crt k1.pem
    crt-base ${dir}/ssl
    load crt k2.pem pem x
    load key k2.key
    load crt k4.pem alias /four
    load crt k4.pem ocsp-update yes
    load crt k1.pem
    frobnicate
crt-store web two
frontend f
    bind :443 ssl crt @web/k1.pem crt @web/nope.pem
`,
      CERTS,
    );
    const at = (line: number) => `$D/haproxy.cfg:${line}`;
    assert.deepEqual(warnings(result, dir), [
      `${at(4)}: 'crt-base' after a load line (HAProxy refuses this); ignored`,
      `${at(5)}: 'load' has an unknown keyword 'pem' (HAProxy refuses this); line ignored`,
      `${at(6)}: 'load' without 'crt <file>' (HAProxy refuses this)`,
      `${at(7)}: 'alias' may not start with '/' (HAProxy refuses this)`,
      `${at(8)}: 'ocsp-update' expects on or off (HAProxy refuses this)`,
      `${at(9)}: '@web/k1.pem' is already defined by ${at(3)} (HAProxy refuses this)`,
      `${at(10)}: unknown keyword 'frobnicate' in a crt-store section (HAProxy refuses this)`,
      `${at(11)}: 'crt-store' takes only a <name> (HAProxy refuses this section)`,
      `${
        at(13)
      }: no crt-store 'load' line names a certificate '@web/nope.pem' (HAProxy refuses this); certificate ignored`,
    ]);
    assert.deepEqual(names(result, dir), [["@web/k1.pem", "$D/certs/k1.pem"]]);
  });
});

Deno.test("a certificate loaded in a crt-store but not used on a bind line is not reported", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `crt-store web
    crt-base ${dir}/certs
    load crt k1.pem
    load crt k2.pem
frontend f
    bind :443 ssl crt @web/k2.pem
`,
      CERTS,
    );
    assert.deepEqual(names(result, dir), [["@web/k2.pem", "$D/certs/k2.pem"]]);
  });
});

Deno.test("crt-list lines may name @store certificates; the global crt-base is not joined to them", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `global
    crt-base ${dir}/ssl
crt-store web
    crt-base ${dir}/certs
    load crt k1.pem ocsp-update on
    load crt k4.pem alias four
frontend f
    bind :443 ssl crt-list ${dir}/list.txt
`,
      { ...CERTS, "list.txt": "@web/k1.pem [ocsp-update on] k1.test\n@web/four\nk3.pem\n" },
    );
    assert.deepEqual(warnings(result, dir), []);
    assert.deepEqual(names(result, dir), [
      ["@web/k1.pem", "$D/certs/k1.pem"],
      ["@web/four", "$D/certs/k4.pem"],
      ["$D/ssl/k3.pem", "$D/ssl/k3.pem"],
    ]);
    assert.equal(result.certs[0].origin, `${dir}/list.txt:1`);
  });
});

Deno.test("a crt-list line that changes a crt-store certificate's parameters is reported (HAProxy refuses it)", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `crt-store web
    crt-base ${dir}/certs
    load crt k1.pem
frontend f
    bind :443 ssl crt-list ${dir}/list.txt
`,
      { ...CERTS, "list.txt": "@web/k1.pem [ocsp-update on]\n" },
    );
    assert.deepEqual(warnings(result, dir), [
      `$D/list.txt:1: '@web/k1.pem' has other parameters here than on its load line at $D/haproxy.cfg:3 (HAProxy refuses this); using the load line's`,
    ]);
    assert.equal(result.certs[0].haproxyUpdates, undefined);
  });
});

Deno.test("a 3.0 crt-list line naming ocsp and issuer files: HAProxy reads those, not <crt>.ocsp", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `frontend f
    bind :443 ssl crt-list ${dir}/list.txt
`,
      {
        ...CERTS,
        "list.txt": `${dir}/ssl/k3.pem [alpn h2 ocsp ${dir}/ssl/k3.der issuer ${dir}/ca.pem]\n`,
      },
    );
    const [k3] = result.certs;
    assert.equal(k3.stapleFile, `${dir}/ssl/k3.der`);
    assert.equal(k3.issuerFile, `${dir}/ca.pem`);
    assert.deepEqual(k3.extraFiles, { ocsp: true, issuer: true, origin: `${dir}/list.txt:1` });
    assert.equal(k3.crtStore, undefined);
  });
});

Deno.test("HAProxy's own updater: ocsp-update on a load line, on a crt-list line, or the global ocsp-update.mode", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `global
    ocsp-update.mode on
crt-store web
    crt-base ${dir}/certs
    load crt k1.pem ocsp-update off
    load crt k2.pem ocsp-update on
    load crt k4.pem
frontend f
    bind :443 ssl crt @web/k1.pem crt @web/k2.pem crt @web/k4.pem crt-list ${dir}/list.txt
`,
      {
        ...CERTS,
        "list.txt": `${dir}/ssl/k3.pem [ocsp-update off]\n${dir}/ssl/k5.pem [ocsp-update on]\n`,
        "ssl/k5.pem": "",
      },
    );
    const cfg = `${dir}/haproxy.cfg`;
    assert.deepEqual(
      result.certs.map((c) => [c.path.replace(dir, "$D"), c.haproxyUpdates]),
      [
        ["$D/certs/k1.pem", undefined],
        ["$D/certs/k2.pem", {
          origin: `${cfg}:6`,
          setting: "ocsp-update on (crt-store load line)",
        }],
        ["$D/certs/k4.pem", { origin: `${cfg}:2`, setting: "ocsp-update.mode on (global)" }],
        ["$D/ssl/k3.pem", undefined],
        ["$D/ssl/k5.pem", {
          origin: `${dir}/list.txt:2`,
          setting: "ocsp-update on (crt-list line)",
        }],
      ],
    );
  });
});

Deno.test("the global ocsp-update.mode applies to the bind lines after it only; ocsp-update.disable on turns every update off", async () => {
  await withTempDir(async (dir) => {
    const after = await read(
      dir,
      `frontend f
    bind :443 ssl crt ${dir}/certs/k1.pem
global
    ocsp-update.mode on
frontend g
    bind :444 ssl crt ${dir}/certs/k2.pem
`,
      CERTS,
    );
    assert.deepEqual(after.certs.map((c) => c.haproxyUpdates?.origin), [
      undefined,
      `${dir}/haproxy.cfg:4`,
    ]);
    const disabled = await read(
      dir,
      `global
    ocsp-update.mode on
frontend f
    bind :443 ssl crt ${dir}/certs/k1.pem
global
    ocsp-update.disable on
`,
    );
    assert.equal(disabled.certs[0].haproxyUpdates, undefined);
    assert.deepEqual(warnings(disabled, dir), [
      "$D/haproxy.cfg:6: 'ocsp-update.disable on': HAProxy's own OCSP updater never runs; stapled pushes every staple",
    ]);
  });
});

Deno.test("issuers-chain-path is reported per configuration and with each certificate read after it", async () => {
  await withTempDir(async (dir) => {
    const result = await read(
      dir,
      `frontend f
    bind :443 ssl crt ${dir}/certs/k1.pem
global
    issuers-chain-path issuers/
frontend g
    bind :444 ssl crt ${dir}/certs/k2.pem
`,
      { ...CERTS, "issuers": null },
    );
    assert.equal(result.issuersChainPath, `${dir}/issuers`);
    assert.deepEqual(result.certs.map((c) => c.issuersChainPath), [undefined, `${dir}/issuers`]);
    const none = await read(dir, `frontend f\n    bind :443 ssl crt ${dir}/certs/k1.pem\n`);
    assert.ok(!("issuersChainPath" in none), "absent, not undefined, without the directive");
  });
});
