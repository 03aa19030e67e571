/**
 * What the engine learns per certificate from a HAProxy configuration:
 * resolveSources() carries the crt-store line, the named staple and issuer
 * files, HAProxy's own updater, issuers-chain-path and the runtime name; the
 * parse stage takes a bare leaf's issuer from issuers-chain-path as HAProxy
 * does (only when the bundle holds no chain), and a named `ocsp <file>` is
 * where the staple goes.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { type CertOutcome, Engine, resolveSources } from "../../src/daemon/mod.ts";
import { loadConfig } from "../../src/config/config.ts";
import { parseCommandLine } from "../../src/config/command_line.ts";
import { checkConfig } from "../../src/cli/check_config.ts";

const root = await TestCa.root("Sources Root");
const ca = await root.intermediate("Sources CA");

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-haproxy-sources-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("resolveSources() carries a crt-store certificate's files, updater and runtime name", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/certs`);
    await Deno.writeTextFile(
      `${dir}/haproxy.cfg`,
      `global
    stats socket ${dir}/admin.sock level admin
    issuers-chain-path ${dir}/issuers
crt-store web
    crt-base ${dir}/certs
    load crt k1.pem ocsp k1.der issuer ca.pem
    load crt k2.pem ocsp-update on
frontend f1
    bind :443 ssl crt "@web/k1.pem" crt "@web/k2.pem"
`,
    );
    const config = await loadConfig(parseCommandLine(["--haproxy-config", `${dir}/haproxy.cfg`]));
    const { sources } = await resolveSources(config);
    const k1 = sources.find((s) => s.paths.includes(`${dir}/certs/k1.pem`));
    const k2 = sources.find((s) => s.paths.includes(`${dir}/certs/k2.pem`));
    assert.equal(k1?.haproxyPath, "@web/k1.pem");
    assert.equal(k1?.stapleFile, `${dir}/certs/k1.der`);
    assert.equal(k1?.issuerFile, `${dir}/certs/ca.pem`);
    assert.equal(k1?.crtStore?.store, "web");
    assert.equal(k1?.issuersChainPath, `${dir}/issuers`);
    assert.equal(k1?.haproxyUpdates, undefined);
    assert.equal(k2?.haproxyPath, "@web/k2.pem");
    assert.equal(k2?.haproxyUpdates?.setting, "ocsp-update on (crt-store load line)");
    assert.notEqual(k1, k2);
  });
});

Deno.test("a bare leaf's issuer is taken from issuers-chain-path; a bundle with a chain is not completed from it", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/issuers`);
    await Deno.writeTextFile(`${dir}/issuers/ca.pem`, ca.pem);
    const bare = `${dir}/bare.pem`;
    await writeBundle(bare, await ca.leaf("bare.test", { ocspUrls: ["http://127.0.0.1:9/"] }), []);
    const chained = `${dir}/chained.pem`;
    await writeBundle(
      chained,
      await ca.leaf("chained.test", { ocspUrls: ["http://127.0.0.1:9/"] }),
      [
        root,
      ],
    );
    const engine = new Engine({
      sources: [{ paths: [bare, chained], issuersChainPath: `${dir}/issuers` }],
      mode: "check",
    });
    const outcomes = new Map<string, CertOutcome>();
    engine.on("outcome", (o) => outcomes.set(o.path, o));
    await engine.run();
    assert.equal(outcomes.get(bare)?.status, "parsed");
    assert.equal(outcomes.get(bare)?.issuerDirFile, `${dir}/issuers/ca.pem`);
    assert.equal(outcomes.get(chained)?.status, "failed");
    assert.equal((outcomes.get(chained)?.error as { kind?: string }).kind, "CertIssuerMissing");
  });
});

Deno.test("--check-config names a crt-store certificate's runtime name, its named staple file and the issuers-chain-path issuer", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/certs`);
    await Deno.mkdir(`${dir}/issuers`);
    await Deno.writeTextFile(`${dir}/issuers/ca.pem`, ca.pem);
    await writeBundle(
      `${dir}/certs/k1.pem`,
      await ca.leaf("k1.test", { ocspUrls: ["http://127.0.0.1:9/"] }),
      [],
    );
    await Deno.writeTextFile(
      `${dir}/haproxy.cfg`,
      `global
    stats socket ${dir}/admin.sock level admin
    issuers-chain-path ${dir}/issuers
crt-store web
    crt-base ${dir}/certs
    load crt k1.pem ocsp k1.der
frontend f1
    bind :443 ssl crt "@web/k1.pem"
`,
    );
    const config = await loadConfig(
      parseCommandLine(["--check-config", "--haproxy-config", `${dir}/haproxy.cfg`]),
    );
    const lines: string[] = [];
    assert.equal(await checkConfig(config, await resolveSources(config), (l) => lines.push(l)), 0);
    const line = lines.find((l) => l.startsWith(`  ${dir}/certs/k1.pem:`)) ?? lines.join("\n");
    assert.ok(line.includes(`; issuer in ${dir}/issuers/ca.pem (issuers-chain-path)`), line);
    assert.ok(
      line.includes(`; staple ${dir}/certs/k1.der (loaded by HAProxy when it starts`),
      line,
    );
    assert.ok(line.endsWith(`; pushed to ${dir}/admin.sock as @web/k1.pem`), line);
  });
});
