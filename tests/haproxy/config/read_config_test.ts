import assert from "node:assert/strict";
import { ConfigError } from "../../../src/errors/mod.ts";
import {
  type HaproxyConfigResult,
  readHaproxyConfig,
  readHaproxyConfigs,
} from "../../../src/haproxy/config/mod.ts";
import { staplePathFor } from "../../../src/staples/mod.ts";
import { envOf, fixture, withTempDir, writeFiles } from "./_helpers.ts";

const FRONTEND_HEAD = "defaults\n    mode http\nfrontend www\n";

function certSummary(result: HaproxyConfigResult, dir: string) {
  return result.certs.map((c) => ({
    path: c.path.replace(dir, "$D"),
    kind: c.kind,
    origin: c.origin.replace(dir, "$D"),
  }));
}

function warningsOf(result: HaproxyConfigResult, dir: string): string[] {
  return result.warnings.map((w) => w.replaceAll(dir, "$D"));
}

Deno.test("readHaproxyConfig() finds Debian's admin socket and no certificate in the stock config", async () => {
  const result = await readHaproxyConfig(fixture("debian-haproxy.cfg"), { env: envOf({}) });
  assert.deepEqual(result, {
    configFiles: [fixture("debian-haproxy.cfg")],
    crtListFiles: [],
    certs: [],
    sockets: [{ transport: "unix", path: "/run/haproxy/admin.sock", level: "admin" }],
    warnings: [],
  });
});

Deno.test("readHaproxyConfig() reads the quirks fixture as HAProxy does (no .alert is reached)", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "a.pem": "",
      "b space.pem": "",
      "c.pem": "",
      "e.pem": "",
      "dir/d.pem": "",
      "list.txt": "# list\n\ne.pem [alpn h2] e.test !f.test\n",
    });
    const result = await readHaproxyConfig(fixture("quirks.cfg"), {
      env: envOf({ CERT_DIR: dir, STAPLED_EMPTY_VAR: "" }),
    });
    const cfg = fixture("quirks.cfg");
    assert.deepEqual(warningsOf(result, dir), [
      `${cfg}:8: stats socket ipv4@127.0.0.1:9999 has level operator; stapled needs 'level admin' to set staples`,
    ]);
    assert.deepEqual(result.certs.map((c) => [c.haproxyPath.replace(dir, "$D"), c.kind]), [
      ["$D/a.pem", "file"],
      ["$D/dir", "dir"],
      ["$D/e.pem", "file"],
      ["$D/b space.pem", "file"],
      ["$D/c.pem", "file"],
    ]);
    assert.deepEqual(result.crtListFiles, [`${dir}/list.txt`]);
    assert.deepEqual(result.sockets, [
      { transport: "unix", path: `${dir}/admin.sock`, level: "admin" },
      { transport: "tcp", hostname: "127.0.0.1", port: 9999, level: "operator" },
      { transport: "tcp", hostname: "::1", port: 9998, level: "admin" },
    ]);
  });
});

Deno.test("readHaproxyConfig() joins crt-base to every relative crt and crt-list entry, several per bind, not to server crt", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "certs/a.pem": "",
      "certs/b.pem": "",
      "certs/sub": null,
      "certs/l1.pem": "",
      "abs.pem": "",
      "lists/list.txt": "# comment\n\nl1.pem [alpn h2] www.test !old.test\n" +
        `${dir}/abs.pem\n`,
      "h.cfg": `global\n    crt-base ${dir}/certs/\n${FRONTEND_HEAD}` +
        `    bind :443 ssl crt a.pem crt b.pem crt sub crt-list lists/list.txt alpn h2\n` +
        `    bind :8443 ssl default-crt ${dir}/abs.pem crt a.pem name crt\n` +
        "backend b\n    server s1 192.0.2.1:443 ssl crt client.pem\n",
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(certSummary(result, dir), [
      { path: "$D/certs/a.pem", kind: "file", origin: "$D/h.cfg:6" },
      { path: "$D/certs/b.pem", kind: "file", origin: "$D/h.cfg:6" },
      { path: "$D/certs/sub", kind: "dir", origin: "$D/h.cfg:6" },
      { path: "$D/certs/l1.pem", kind: "file", origin: "$D/lists/list.txt:3" },
      { path: "$D/abs.pem", kind: "file", origin: "$D/lists/list.txt:4" },
    ]);
    assert.equal(result.certs[0].haproxyPath, `${dir}/certs//a.pem`);
    assert.deepEqual(result.crtListFiles, [`${dir}/lists/list.txt`]);
    assert.deepEqual(result.warnings, []);
  });
});

Deno.test("readHaproxyConfig() resolves relative paths against the config's directory, or default-path", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "etc/a.pem": "",
      "b.pem": "",
      "etc/h.cfg": `${FRONTEND_HEAD}    bind :443 ssl crt a.pem\n`,
      "etc/p.cfg": `global\n    default-path parent\n${FRONTEND_HEAD}    bind :443 ssl crt b.pem\n`,
    });
    const [plain, parent] = await readHaproxyConfigs(["etc/h.cfg", "etc/p.cfg"], { cwd: dir });
    assert.deepEqual(plain.configFiles, [`${dir}/etc/h.cfg`]);
    assert.deepEqual(plain.certs.map((c) => [c.path, c.haproxyPath]), [[
      `${dir}/etc/a.pem`,
      "a.pem",
    ]]);
    assert.deepEqual(parent.certs.map((c) => c.path), [`${dir}/b.pem`]);
  });
});

Deno.test("readHaproxyConfig() reports a missing crt as a file with a warning, or its bundle files", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "site.pem.rsa": "",
      "site.pem.ecdsa": "",
      "h.cfg": `${FRONTEND_HEAD}    bind :443 ssl crt site.pem crt gone.pem\n`,
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(result.certs.map((c) => [c.path.replace(dir, "$D"), c.kind]), [
      ["$D/site.pem.ecdsa", "file"],
      ["$D/site.pem.rsa", "file"],
      ["$D/gone.pem", "file"],
    ]);
    assert.deepEqual(warningsOf(result, dir), [
      "$D/h.cfg:4: certificate $D/gone.pem does not exist",
    ]);
  });
});

Deno.test("readHaproxyConfig() marks staples as replace-ext after ssl-load-extra-del-ext", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "site.crt": "",
      "other.pem": "",
      "h.cfg": `global\n    ssl-load-extra-del-ext\n${FRONTEND_HEAD}` +
        `    bind :443 ssl crt site.crt crt other.pem\n`,
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(
      result.certs.map((c) => staplePathFor(c.path, c.stapleNaming).replace(dir, "$D")),
      ["$D/site.ocsp", "$D/other.pem.ocsp"],
    );
    assert.ok(result.certs.every((c) => c.stapleNaming === "replace-ext"));
  });
});

Deno.test("readHaproxyConfig() warns when ssl-load-extra-files keeps HAProxy from loading .ocsp or .issuer files", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "h.cfg": "global\n    ssl-load-extra-files key issuer\n    ssl-load-extra-files key ocsp\n" +
        "    ssl-load-extra-files all key\n    ssl-load-extra-files ocsp nope\n",
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(warningsOf(result, dir), [
      "$D/h.cfg:2: 'ssl-load-extra-files' without 'ocsp': HAProxy does not load .ocsp files when it starts; stapled still writes them and pushes each staple over the stats socket (HAProxy serves it until it reloads)",
      "$D/h.cfg:3: 'ssl-load-extra-files' without 'issuer': HAProxy does not read .issuer files, so a certificate whose issuer is not in its bundle gets no staple (HAProxy refuses to start with a .ocsp it cannot match)",
      "$D/h.cfg:4: 'ssl-load-extra-files' expects none, all, or some of bundle, sctl, ocsp, issuer, key (HAProxy refuses this line); keeping the previous setting",
      "$D/h.cfg:5: 'ssl-load-extra-files' expects none, all, or some of bundle, sctl, ocsp, issuer, key (HAProxy refuses this line); keeping the previous setting",
    ]);
  });
});

Deno.test("readHaproxyConfig() gives each certificate the ssl-load-extra-files in effect at its bind line", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "a.pem": "",
      "b.pem": "",
      "c.pem": "",
      "d.pem": "",
      "e.pem": "",
      "list.txt": "c.pem\n",
      "h.cfg": [
        "global",
        `    crt-base ${dir}`,
        FRONTEND_HEAD.trimEnd(),
        "    bind :443 ssl crt a.pem",
        "global",
        "    ssl-load-extra-files key ocsp",
        "frontend two",
        "    bind :444 ssl crt b.pem crt-list list.txt crt a.pem",
        "global",
        "    ssl-load-extra-files none",
        "frontend three",
        "    bind :445 ssl crt d.pem",
        "global",
        "    ssl-load-extra-files ocsp issuer",
        "frontend four",
        "    bind :446 ssl crt e.pem",
        "",
      ].join("\n"),
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(
      result.certs.map((c) => [c.path.replace(dir, "$D"), c.extraFiles]),
      [
        // HAProxy's default is all; a.pem keeps what it was first loaded with.
        ["$D/a.pem", { ocsp: true, issuer: true }],
        ["$D/b.pem", { ocsp: true, issuer: false, origin: `${dir}/h.cfg:8` }],
        ["$D/c.pem", { ocsp: true, issuer: false, origin: `${dir}/h.cfg:8` }],
        ["$D/d.pem", { ocsp: false, issuer: false, origin: `${dir}/h.cfg:12` }],
        ["$D/e.pem", { ocsp: true, issuer: true, origin: `${dir}/h.cfg:16` }],
      ],
    );
  });
});

Deno.test("readHaproxyConfig() looks for bundle files (<crt>.rsa, ...) only while ssl-load-extra-files has bundle", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "site.pem.rsa": "",
      "h.cfg": `global\n    ssl-load-extra-files ocsp issuer key\n${FRONTEND_HEAD}` +
        `    bind :443 ssl crt ${dir}/site.pem\n`,
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(result.certs.map((c) => c.path), [`${dir}/site.pem`]);
    assert.match(result.warnings.at(-1) ?? "", /certificate .*site\.pem does not exist/);
  });
});

Deno.test("readHaproxyConfig() reads unix, TCP and IPv6 stats sockets, their levels, once each", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "h.cfg": [
        "global",
        "    stats socket /run/admin.sock mode 660 level admin expose-fd listeners",
        "    stats socket unix@rel.sock level admin",
        "    stats socket ipv4@127.0.0.1:9999 level admin",
        "    stats socket ipv6@[::1]:9998 level admin",
        "    stats socket :9997 level admin",
        "    stats socket /run/admin.sock level admin",
        "    stats socket /run/user.sock level user",
        "    stats socket /run/default.sock",
        "    stats timeout 30s",
        "",
      ].join("\n"),
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(result.sockets, [
      { transport: "unix", path: "/run/admin.sock", level: "admin" },
      { transport: "unix", path: `${dir}/rel.sock`, level: "admin" },
      { transport: "tcp", hostname: "127.0.0.1", port: 9999, level: "admin" },
      { transport: "tcp", hostname: "::1", port: 9998, level: "admin" },
      { transport: "tcp", hostname: "127.0.0.1", port: 9997, level: "admin" },
      { transport: "unix", path: "/run/user.sock", level: "user" },
      { transport: "unix", path: "/run/default.sock", level: "operator" },
    ]);
    assert.deepEqual(warningsOf(result, dir), [
      "$D/h.cfg:8: stats socket /run/user.sock has level user; stapled needs 'level admin' to set staples",
      "$D/h.cfg:9: stats socket /run/default.sock has level operator; stapled needs 'level admin' to set staples",
    ]);
  });
});

Deno.test("readHaproxyConfig() prefixes UNIX socket paths with unix-bind prefix", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "h.cfg": "global\n    unix-bind prefix /var/lib/haproxy mode 770\n" +
        "    stats socket /admin.sock level admin\n",
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(result.sockets, [
      { transport: "unix", path: "/var/lib/haproxy/admin.sock", level: "admin" },
    ]);
  });
});

Deno.test("readHaproxyConfig() follows .if/.elif/.else blocks and reads both branches when unsure", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "h.cfg": [
        FRONTEND_HEAD.trimEnd(),
        ".if defined(WITH_A)",
        "    bind :1 ssl crt a.pem",
        '.elif streq("$MODE",b)',
        "    bind :1 ssl crt b.pem",
        "  .if 0",
        "    bind :1 ssl crt b-nested.pem",
        "  .endif",
        ".else",
        "    bind :1 ssl crt c.pem",
        ".endif",
        ".if feature(QUIC)",
        "    bind :2 ssl crt quic.pem",
        ".else",
        "    bind :2 ssl crt tcp.pem",
        ".endif",
        "",
      ].join("\n"),
      "a.pem": "",
      "b.pem": "",
      "c.pem": "",
      "quic.pem": "",
      "tcp.pem": "",
    });
    const names = async (vars: Record<string, string>) => {
      const result = await readHaproxyConfig(`${dir}/h.cfg`, { env: envOf(vars) });
      return {
        certs: result.certs.map((c) => c.path.slice(dir.length + 1)),
        warnings: warningsOf(result, dir),
      };
    };
    const unsure =
      "$D/h.cfg:14: cannot evaluate '.if feature(QUIC)' (feature(QUIC) depends on how HAProxy was built); reading both branches";
    assert.deepEqual(await names({ WITH_A: "" }), {
      certs: ["a.pem", "quic.pem", "tcp.pem"],
      warnings: [unsure],
    });
    assert.deepEqual((await names({ MODE: "b" })).certs, ["b.pem", "quic.pem", "tcp.pem"]);
    assert.deepEqual((await names({})).certs, ["c.pem", "quic.pem", "tcp.pem"]);
  });
});

Deno.test("readHaproxyConfig() expands variables in quoted crt paths, with defaults", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "x/site.pem": "",
      "fallback.pem": "",
      "h.cfg":
        `${FRONTEND_HEAD}    bind :443 ssl crt "\${SSL_DIR}/site.pem" crt "\${NOPE-fallback.pem}"\n`,
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`, { env: envOf({ SSL_DIR: `${dir}/x` }) });
    assert.deepEqual(result.certs.map((c) => c.path), [`${dir}/x/site.pem`, `${dir}/fallback.pem`]);
  });
});

Deno.test("readHaproxyConfig() reads a directory's *.cfg in byte order as one configuration", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "conf/10-www.cfg": `${FRONTEND_HEAD}    bind :443 ssl crt www.pem\n`,
      "conf/00-global.cfg":
        "global\n    crt-base /certs\n    stats socket /run/a.sock level admin\n",
      "conf/20-API.cfg": `${FRONTEND_HEAD}    bind :444 ssl crt api.pem\n`,
      "conf/.hidden.cfg": `${FRONTEND_HEAD}    bind :445 ssl crt hidden.pem\n`,
      "conf/notes.txt": `${FRONTEND_HEAD}    bind :446 ssl crt txt.pem\n`,
      "conf/x.cfg.cfg": `${FRONTEND_HEAD}    bind :447 ssl crt doubled.pem\n`,
      "conf/sub.cfg": null,
    });
    const result = await readHaproxyConfig(`${dir}/conf`);
    assert.deepEqual(result.configFiles, [
      `${dir}/conf/00-global.cfg`,
      `${dir}/conf/10-www.cfg`,
      `${dir}/conf/20-API.cfg`,
    ]);
    assert.deepEqual(result.certs.map((c) => c.path), ["/certs/www.pem", "/certs/api.pem"]);
    assert.deepEqual(result.sockets, [{ transport: "unix", path: "/run/a.sock", level: "admin" }]);
  });
});

Deno.test("readHaproxyConfigs() maps each separately given config's certificates to its own sockets", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "one.cfg": `global\n    crt-base /one\n    stats socket /run/one.sock level admin\n` +
        `${FRONTEND_HEAD}    bind :443 ssl crt a.pem\n`,
      "two/a.cfg": `global\n    stats socket ipv4@127.0.0.1:9002 level admin\n`,
      "two/b.cfg": `${FRONTEND_HEAD}    bind :443 ssl crt /two/b.pem\n`,
    });
    const results = await readHaproxyConfigs([`${dir}/one.cfg`, `${dir}/two`]);
    assert.deepEqual(
      results.map((r) => ({ certs: r.certs.map((c) => c.path), sockets: r.sockets })),
      [
        {
          certs: ["/one/a.pem"],
          sockets: [{ transport: "unix", path: "/run/one.sock", level: "admin" }],
        },
        {
          certs: ["/two/b.pem"],
          sockets: [{ transport: "tcp", hostname: "127.0.0.1", port: 9002, level: "admin" }],
        },
      ],
    );
  });
});

Deno.test("readHaproxyConfig() warns with file:line about malformed lines and keeps reading", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "/certs/ok.pem": "",
      "h.cfg": [
        "global",
        `    crt-base ${dir}/certs`,
        "    crt-base /elsewhere",
        "    stats socket",
        "    stats socket abns@haproxy level admin",
        '    log "unclosed',
        "    unknown-directive whatever",
        FRONTEND_HEAD.trimEnd(),
        "    bind",
        "    bind :443 ssl crt",
        "    bind :443 ssl crt-list missing-list.txt",
        "    bind :443 ssl crt ok.pem",
        ".elif 1",
        ".if (1",
        ".endif",
        ".endif",
        "",
      ].join("\n"),
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(result.certs.map((c) => c.path), [`${dir}/certs/ok.pem`]);
    assert.deepEqual(warningsOf(result, dir), [
      `$D/h.cfg:3: 'crt-base' already specified (HAProxy refuses this); keeping '$D/certs'`,
      "$D/h.cfg:4: 'stats socket' expects an address or a path",
      "$D/h.cfg:5: stapled cannot connect to 'abns@' sockets ('abns@haproxy'); socket ignored",
      "$D/h.cfg:6: unmatched quote at position 9; line ignored",
      "$D/h.cfg:11: 'bind' expects an address",
      "$D/h.cfg:12: 'crt' : missing certificate location",
      "$D/h.cfg:13: cannot read crt-list $D/missing-list.txt: no such file or directory",
      "$D/h.cfg:15: '.elif' without '.if' (HAProxy refuses this); ignored",
      "$D/h.cfg:16: cannot evaluate '.if (1' (expected ')' after conditional expression); reading both branches",
      "$D/h.cfg:18: '.endif' without '.if' (HAProxy refuses this); ignored",
    ]);
  });
});

Deno.test("readHaproxyConfig() skips a line a big variable expands past 64 KiB, with file:line, and reads on", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "ok.pem": "",
      "h.cfg": `${FRONTEND_HEAD}    bind :443 ssl crt ${'"$BIG"'.repeat(600)}\n` +
        `    bind :444 ssl crt ok.pem\n`,
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`, {
      env: envOf({ BIG: "x".repeat(1024 * 1024) }),
    });
    assert.deepEqual(result.certs.map((c) => c.path), [`${dir}/ok.pem`]);
    assert.deepEqual(warningsOf(result, dir), [
      "$D/h.cfg:4: line longer than 65536 characters after variable expansion; line ignored",
    ]);
  });
});

Deno.test("readHaproxyConfig() warns about an .if left open at the end of a file", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "h.cfg": "global\n.if 1\n" });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(warningsOf(result, dir), ["$D/h.cfg:2: '.if' without '.endif'"]);
  });
});

Deno.test("readHaproxyConfig() warns about crt-list lines with their own file:line", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      "a.pem": "",
      "certs": null,
      "list.txt": "[alpn h2] a.pem\na.pem\ncerts\n",
      "h.cfg": `${FRONTEND_HEAD}    bind :443 ssl crt-list list.txt\n`,
    });
    const result = await readHaproxyConfig(`${dir}/h.cfg`);
    assert.deepEqual(certSummary(result, dir), [
      { path: "$D/a.pem", kind: "file", origin: "$D/list.txt:2" },
      { path: "$D/certs", kind: "dir", origin: "$D/list.txt:3" },
    ]);
    assert.deepEqual(warningsOf(result, dir), [
      "$D/list.txt:1: file must start with a cert",
      "$D/list.txt:3: $D/certs is a directory; HAProxy accepts only files here",
    ]);
  });
});

Deno.test("readHaproxyConfig() throws ConfigError naming a config file that cannot be read", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () => readHaproxyConfig(`${dir}/missing.cfg`),
      (err) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.file, `${dir}/missing.cfg`);
        assert.equal(
          err.message,
          `${dir}/missing.cfg: cannot read HAProxy config: no such file or directory`,
        );
        return true;
      },
    );
  });
});

Deno.test("readHaproxyConfig() throws ConfigError when an injected reader fails", async () => {
  await assert.rejects(
    () =>
      readHaproxyConfig("/etc/h.cfg", {
        stat: () => Promise.resolve({ isFile: true, isDirectory: false }),
        readTextFile: () => Promise.reject(new Deno.errors.PermissionDenied("denied")),
      }),
    new ConfigError("/etc/h.cfg", "cannot read HAProxy config: permission denied"),
  );
});

Deno.test("readHaproxyConfig() warns about a directory without *.cfg files", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, { "conf/readme.txt": "" });
    const result = await readHaproxyConfig(`${dir}/conf`);
    assert.deepEqual(result.configFiles, []);
    assert.deepEqual(warningsOf(result, dir), ["$D/conf: no *.cfg file in this directory"]);
  });
});

Deno.test("readHaproxyConfig() refuses invalid options with RangeError", async () => {
  await assert.rejects(
    () => readHaproxyConfig("h.cfg", { cwd: "relative" }),
    new RangeError("Cannot read HAProxy config: cwd 'relative' is not an absolute path"),
  );
  await assert.rejects(
    () => readHaproxyConfig("/h.cfg", { haproxyVersion: "latest" }),
    new RangeError("Cannot read HAProxy config: haproxyVersion 'latest' is not a version"),
  );
});
