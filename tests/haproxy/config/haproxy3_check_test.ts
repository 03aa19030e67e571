/**
 * The crt-store reader against real HAProxy 3.x (tests/_helpers/haproxy3.ts;
 * skipped with a notice outside CI where it is not installed): `haproxy -c`
 * accepts what the reader reads and refuses what it warns HAProxy refuses,
 * and a running HAProxy 3.x names every certificate at its runtime API
 * (`show ssl cert`) exactly as the reader's `haproxyPath`, and lists in
 * `show ssl ocsp-updates` exactly the certificates marked `haproxyUpdates`.
 */
import assert from "node:assert/strict";
import { makeCa, type TestCa } from "../../_helpers/openssl_fixtures.ts";
import { freePort } from "../../_helpers/net.ts";
import { HAPROXY3, haproxy3Check } from "../../_helpers/haproxy3.ts";
import { readHaproxyConfig } from "../../../src/haproxy/config/mod.ts";
import { findIssuerInDirectory } from "../../../src/certs/issuer_dir.ts";
import { certificatesIn } from "../../../src/certs/bundle.ts";
import { withTempDir, writeFiles } from "./_helpers.ts";

const decoder = new TextDecoder();

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`openssl ${args.join(" ")}: ${decoder.decode(out.stderr)}`);
}

/**
 * A leaf signed by `ca` naming an OCSP responder (a closed port): `<name>.crt`
 * and `<name>.key` in `dir`. HAProxy's updater needs the OCSP URI.
 */
async function makeOcspLeaf(ca: TestCa, dir: string, name: string): Promise<void> {
  const base = `${dir}/${name}`;
  await Deno.writeTextFile(
    `${base}.ext`,
    `subjectAltName=DNS:${name}.test\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:${freePort()}/\n`,
  );
  await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    .concat(["-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${name}.test`]));
  await openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", ca.certPath, "-CAkey", ca.keyPath]
    .concat(["-days", "5", "-extfile", `${base}.ext`, "-out", `${base}.crt`]));
}

/** Writes `crt + key` bundles (no chain) for the names. */
async function bundles(dir: string, from: string, files: Record<string, string>): Promise<void> {
  for (const [path, name] of Object.entries(files)) {
    const text = (await Deno.readTextFile(`${from}/${name}.crt`)) +
      (await Deno.readTextFile(`${from}/${name}.key`));
    await writeFiles(dir, { [path]: text });
  }
}

/** Starts HAProxy 3.x in the foreground, runs `commands` on its stats socket, stops it by pid. */
async function withRunningHaproxy3(
  config: string,
  socket: string,
  commands: string[],
): Promise<string[]> {
  const child = new Deno.Command(HAPROXY3!.path, {
    args: ["-db", "-f", config],
    cwd: "/",
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    let conn: Deno.UnixConn | undefined;
    for (let i = 0; i < 200 && !conn; i++) {
      try {
        conn = await Deno.connect({ transport: "unix", path: socket });
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    assert.ok(conn, "HAProxy 3.x opened no stats socket");
    conn.close();
    const replies: string[] = [];
    for (const command of commands) {
      const c = await Deno.connect({ transport: "unix", path: socket });
      await c.write(new TextEncoder().encode(`${command}\n`));
      let text = "";
      const buffer = new Uint8Array(65536);
      for (let n = await c.read(buffer); n !== null; n = await c.read(buffer)) {
        text += decoder.decode(buffer.subarray(0, n));
      }
      c.close();
      replies.push(text);
    }
    return replies;
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stderr.cancel();
  }
}

function listed(reply: string): string[] {
  return reply.split("\n").filter((l) => l && !l.startsWith("#")).sort();
}

Deno.test({
  name:
    "HAProxy 3.x accepts issue 11's crt-store configuration and names each certificate as the reader's haproxyPath",
  ignore: !HAPROXY3,
  async fn() {
    await withTempDir(async (dir) => {
      const ca = await makeCa(dir);
      for (const n of ["k1", "k2", "k3", "k4", "k5", "k6", "k7"]) await makeOcspLeaf(ca, dir, n);
      await bundles(dir, dir, {
        "certs/k1.pem": "k1",
        "certs/k4.pem": "k4",
        "certs/k5.pem": "k5",
        "certs/k6.pem": "k6",
        "certs/k7.pem": "k7",
        "ssl/k3.pem": "k3",
      });
      await writeFiles(dir, {
        "certs/k2.pem": await Deno.readTextFile(`${dir}/k2.crt`),
        "keys/k2.key": await Deno.readTextFile(`${dir}/k2.key`),
        "list.txt": "@web/k1.pem k1.test\n@/six\n",
      });
      const socket = `${dir}/admin.sock`;
      const config = `${dir}/haproxy.cfg`;
      await Deno.writeTextFile(
        config,
        `global
    stats socket ${socket} level admin
crt-store web
    crt-base ${dir}/certs
    key-base ${dir}/keys
    load crt k1.pem
    load crt k2.pem key k2.key
    load crt k4.pem alias four
    load crt ${dir}/certs/k7.pem
crt-store
    crt-base ${dir}/certs
    load crt k5.pem
    load crt k6.pem alias six
frontend f1
    mode http
    timeout client 5s
    bind 127.0.0.1:${freePort()} ssl crt "@web/k1.pem" crt "@web/k2.pem" crt @web/four crt "@web${dir}/certs/k7.pem" crt k5.pem crt-list ${dir}/list.txt default-crt ${dir}/ssl/k3.pem
`,
      );
      const check = await haproxy3Check(config);
      assert.ok(check.success, check.output);
      const result = await readHaproxyConfig(config, { haproxyVersion: HAPROXY3!.version });
      assert.deepEqual(result.warnings, []);
      const [reply] = await withRunningHaproxy3(config, socket, ["show ssl cert"]);
      assert.deepEqual(listed(reply), result.certs.map((c) => c.haproxyPath).sort());
      assert.deepEqual(
        listed(reply),
        [
          `${dir}/ssl/k3.pem`,
          "@/six",
          "@web/four",
          "@web/k1.pem",
          "@web/k2.pem",
          `@web${dir}/certs/k7.pem`,
          "k5.pem",
        ].sort(),
      );
      const k2 = result.certs.find((c) => c.haproxyPath === "@web/k2.pem");
      assert.equal(k2?.crtStore?.keyFile, `${dir}/keys/k2.key`);
    });
  },
});

Deno.test({
  name: "HAProxy 3.x updates in memory exactly the certificates the reader marks haproxyUpdates",
  ignore: !HAPROXY3,
  async fn() {
    await withTempDir(async (dir) => {
      const ca = await makeCa(dir);
      for (const n of ["k1", "k2", "k3", "k4", "k5"]) await makeOcspLeaf(ca, dir, n);
      await bundles(dir, dir, {
        "certs/k1.pem": "k1",
        "certs/k2.pem": "k2",
        "certs/k3.pem": "k3",
        "certs/k4.pem": "k4",
        "certs/k5.pem": "k5",
      });
      // The leaves are bare: HAProxy finds their issuer in issuers-chain-path.
      await writeFiles(dir, {
        "issuers/ca.pem": await Deno.readTextFile(ca.certPath),
        "list.txt": `${dir}/certs/k4.pem [ocsp-update off]\n${dir}/certs/k5.pem\n`,
      });
      const socket = `${dir}/admin.sock`;
      const config = `${dir}/haproxy.cfg`;
      await Deno.writeTextFile(
        config,
        `global
    stats socket ${socket} level admin
    issuers-chain-path ${dir}/issuers
    ocsp-update.mode on
crt-store web
    crt-base ${dir}/certs
    load crt k1.pem ocsp-update off
    load crt k2.pem ocsp-update on
    load crt k3.pem
frontend f1
    mode http
    timeout client 5s
    bind 127.0.0.1:${freePort()} ssl crt @web/k1.pem crt @web/k2.pem crt @web/k3.pem crt-list ${dir}/list.txt
`,
      );
      const check = await haproxy3Check(config);
      assert.ok(check.success, check.output);
      const result = await readHaproxyConfig(config, { haproxyVersion: HAPROXY3!.version });
      assert.deepEqual(result.warnings, []);
      const [reply] = await withRunningHaproxy3(config, socket, ["show ssl ocsp-updates"]);
      const updated = reply.split("\n").slice(1).filter(Boolean).map((l) => l.split(" | ")[1])
        .sort();
      const marked = result.certs.filter((c) => c.haproxyUpdates).map((c) => c.haproxyPath).sort();
      assert.deepEqual(updated, marked);
      assert.deepEqual(marked, ["@web/k2.pem", "@web/k3.pem", `${dir}/certs/k5.pem`].sort());
      // The issuer HAProxy took from issuers-chain-path is the one stapled finds there.
      for (const cert of result.certs) {
        const match = await findIssuerInDirectory(
          cert.issuersChainPath!,
          certificatesIn(cert.path, await Deno.readFile(cert.path)),
        );
        assert.equal(match?.file, `${dir}/issuers/ca.pem`);
      }
    });
  },
});

Deno.test({
  name:
    "HAProxy 3.x reads no <crt>.ocsp beside a crt-store certificate, but does beside a crt on a bind line",
  ignore: !HAPROXY3,
  async fn() {
    await withTempDir(async (dir) => {
      const ca = await makeCa(dir);
      await makeOcspLeaf(ca, dir, "k1");
      // A bare leaf, no issuer anywhere: a loaded .ocsp would be fatal.
      await bundles(dir, dir, { "certs/k1.pem": "k1" });
      await writeFiles(dir, { "certs/k1.pem.ocsp": "" });
      const store = `crt-store web\n    load crt ${dir}/certs/k1.pem alias k1\n` +
        `frontend f\n    bind 127.0.0.1:${freePort()} ssl crt @web/k1\n`;
      await writeFiles(dir, { "store.cfg": store });
      const stored = await haproxy3Check(`${dir}/store.cfg`);
      assert.ok(stored.success, stored.output);
      await writeFiles(dir, {
        "plain.cfg": `frontend f\n    bind 127.0.0.1:${freePort()} ssl crt ${dir}/certs/k1.pem\n`,
      });
      const plain = await haproxy3Check(`${dir}/plain.cfg`);
      assert.ok(!plain.success);
      assert.match(plain.output, /impossible to compute the OCSP certificate ID/);
      const result = await readHaproxyConfig(`${dir}/store.cfg`);
      assert.deepEqual(result.certs[0].extraFiles.ocsp, false);
    });
  },
});

Deno.test({
  name: "haproxy -c (3.x) refuses each crt-store line the reader says HAProxy refuses",
  ignore: !HAPROXY3,
  async fn() {
    await withTempDir(async (dir) => {
      const ca = await makeCa(dir);
      await makeOcspLeaf(ca, dir, "k1");
      await bundles(dir, dir, { "certs/k1.pem": "k1" });
      const head = `crt-store web\n    crt-base ${dir}/certs\n`;
      const bind = `frontend f\n    bind 127.0.0.1:${freePort()} ssl crt @web/k1.pem\n`;
      const cases: Record<string, string> = {
        "crt-base after load": `${head}    load crt k1.pem\n    crt-base /x\n${bind}`,
        "unknown keyword": `${head}    load crt k1.pem pem x\n${bind}`,
        "alias with /": `${head}    load crt k1.pem\n    load crt k1.pem alias /one\n${bind}`,
        "duplicate": `${head}    load crt k1.pem\n    load crt k1.pem\n${bind}`,
        "unknown reference": `${head}    load crt k1.pem\n${
          bind.replace("@web/k1.pem", "@web/k9")
        }`,
        "missing ocsp file": `${head}    load crt k1.pem ocsp nope.ocsp\n${bind}`,
        "bad ocsp-update": `${head}    load crt k1.pem ocsp-update yes\n${bind}`,
      };
      for (const [what, text] of Object.entries(cases)) {
        await writeFiles(dir, { "bad.cfg": text });
        const check = await haproxy3Check(`${dir}/bad.cfg`);
        assert.ok(!check.success, `${what}: haproxy -c accepted it`);
        const result = await readHaproxyConfig(`${dir}/bad.cfg`);
        assert.ok(
          result.warnings.some((w) => /HAProxy refuses|refuses to start/.test(w)),
          `${what}: ${result.warnings.join("; ")}`,
        );
      }
    });
  },
});
