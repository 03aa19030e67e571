/**
 * Issue 11's configuration against a real HAProxy 3.0 (tests/_helpers/
 * haproxy3.ts; skipped with a notice outside CI when it is not installed)
 * and OpenSSL's real OCSP responder: a crt-store `web` with crt-base and
 * key-base, `load crt k1.pem`, `load crt k2.pem key k2.key`, a frontend with
 * `crt "@web/k1.pem" crt "@web/k2.pem" default-crt k3.pem` and a stats
 * socket. HAProxy starts before stapled, with no staple anywhere; a one-off
 * run and the daemon each staple k1, k2 and k3 without a restart (served per
 * `openssl s_client -status`), and every staple written verifies with
 * `openssl ocsp`. A crt-list certificate with `[ocsp-update on]` gets its
 * file renewed and is never pushed: HAProxy updates it in memory itself.
 */
import assert from "node:assert/strict";
import { type Issued, TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { HAPROXY3 } from "../_helpers/haproxy3.ts";
import { servedStaple } from "../_helpers/haproxy.ts";
import { freePort, hasCommand } from "../_helpers/net.ts";
import { opensslResponder } from "../_helpers/openssl_responder.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";
import { loadConfig } from "../../src/config/config.ts";
import { parseCommandLine } from "../../src/config/command_line.ts";
import { Engine, resolveSources } from "../../src/daemon/mod.ts";
import { runOneOff } from "../../src/cli/one_off.ts";
import { checkConfig } from "../../src/cli/check_config.ts";
import { HaproxyAdder, type PushResult } from "../../src/haproxy/runtime/mod.ts";
import type { HaproxySocketAddress } from "../../src/haproxy/address.ts";

const haveTools = HAPROXY3 !== undefined && await hasCommand("openssl");

interface Site {
  dir: string;
  config: string;
  socket: string;
  tlsPort: number;
  root: TestCa;
  ca: TestCa;
  leaves: Record<string, Issued>;
  stop(): Promise<void>;
}

/** Writes issue 11's configuration (plus `extra` on the bind line, `global` lines) and the certificates. */
async function makeSite(
  names: string[],
  options: {
    bind?: (dir: string) => string;
    files?: (dir: string, leaves: Record<string, Issued>, ca: TestCa) => Promise<void>;
  } = {},
): Promise<Site> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-crt-store-" });
  const root = await TestCa.root("crt-store Root");
  const ca = await root.intermediate("crt-store CA");
  const responder = opensslResponder(dir, ca);
  const leaves: Record<string, Issued> = {};
  for (const name of names) {
    leaves[name] = await ca.leaf(`${name}.test`, { ocspUrls: [responder.url] });
  }
  await responder.writeIndex(Object.values(leaves).map((cert) => ({ cert })));
  await responder.start();
  for (const d of ["certs", "keys", "ssl"]) await Deno.mkdir(`${dir}/${d}`);
  await writeBundle(`${dir}/certs/k1.pem`, leaves.k1, [ca]);
  await writeBundle(`${dir}/certs/k2.pem`, leaves.k2, [ca], { key: false });
  await Deno.writeTextFile(`${dir}/keys/k2.key`, await leaves.k2.keyPem());
  await writeBundle(`${dir}/ssl/k3.pem`, leaves.k3, [ca]);
  await options.files?.(dir, leaves, ca);
  const socket = `${dir}/admin.sock`;
  const config = `${dir}/haproxy.cfg`;
  const tlsPort = freePort();
  await Deno.writeTextFile(
    config,
    `global
    stats socket ${socket} level admin
    nbthread 1
crt-store web
    crt-base ${dir}/certs
    key-base ${dir}/keys
    load crt k1.pem
    load crt k2.pem key k2.key
defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend f1
    bind 127.0.0.1:${tlsPort} ssl crt "@web/k1.pem" crt "@web/k2.pem"${
      options.bind?.(dir) ?? ""
    } default-crt ${dir}/ssl/k3.pem
    tcp-request content reject
`,
  );
  const child = new Deno.Command(HAPROXY3!.path, {
    args: ["-db", "-f", config],
    cwd: "/",
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let up = false;
  for (let i = 0; i < 400 && !up; i++) {
    try {
      (await Deno.connect({ transport: "unix", path: socket })).close();
      up = true;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await stderr;
    await responder.stop();
    await Deno.remove(dir, { recursive: true });
  };
  if (!up) {
    await stop();
    throw new Error(`HAProxy 3.0 did not start: ${await stderr}`);
  }
  return { dir, config, socket, tlsPort, root, ca, leaves, stop };
}

async function sourcesOf(site: Site) {
  const config = await loadConfig(parseCommandLine(["--haproxy-config", site.config]));
  return { config, resolved: await resolveSources(config) };
}

async function assertServed(site: Site, names: string[]): Promise<void> {
  for (const name of names) {
    const served = await servedStaple(site.tlsPort, `${name}.test`);
    assert.equal(served.certStatus, "good", `${name}: ${served.text.slice(0, 600)}`);
  }
}

async function assertStaplesVerify(site: Site, staples: Record<string, string>): Promise<void> {
  for (const [name, file] of Object.entries(staples)) {
    await assertOpensslAccepts(await Deno.readFile(file), {
      leaf: site.leaves[name],
      issuer: site.ca,
      root: site.root,
    });
  }
}

function adder(results: PushResult[]): HaproxyAdder {
  return new HaproxyAdder({ onResult: (r) => results.push(r) });
}

Deno.test({
  name:
    "HAProxy 3.0, issue 11's crt-store configuration: a one-off staples k1, k2 and k3 without a restart",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const site = await makeSite(["k1", "k2", "k3"]);
  const results: PushResult[] = [];
  const sink = adder(results);
  try {
    const { resolved } = await sourcesOf(site);
    const before = await servedStaple(site.tlsPort, "k1.test");
    assert.equal(before.certStatus, undefined);
    const lines: string[] = [];
    const summary = await runOneOff(resolved.sources, { sink, print: (l) => lines.push(l) });
    assert.equal(summary.exitCode, 0, lines.join("\n"));
    assert.equal(summary.outcomes.length, 3, lines.join("\n"));
    await assertServed(site, ["k1", "k2", "k3"]);
    const byCert = new Map(results.map((r) => [r.certPath, r]));
    for (const path of [`${site.dir}/certs/k1.pem`, `${site.dir}/certs/k2.pem`]) {
      const r = byCert.get(path);
      assert.ok(r?.ok, `${path}: ${r && !r.ok ? r.error.message : "not pushed"}`);
      assert.equal(r.outcome, "committed");
    }
    await assertStaplesVerify(site, {
      k1: `${site.dir}/certs/k1.pem.ocsp`,
      k2: `${site.dir}/certs/k2.pem.ocsp`,
      k3: `${site.dir}/ssl/k3.pem.ocsp`,
    });
  } finally {
    await sink.close();
    await site.stop();
  }
});

Deno.test({
  name:
    "HAProxy 3.0, issue 11's crt-store configuration: the daemon staples k1, k2 and k3 without a restart",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const site = await makeSite(["k1", "k2", "k3"]);
  const results: PushResult[] = [];
  const sink = adder(results);
  const { resolved } = await sourcesOf(site);
  const engine = new Engine<HaproxySocketAddress>({
    sources: resolved.sources,
    sink,
    watch: false,
    tickMs: 50,
  });
  try {
    const stapled = new Set<string>();
    const done = Promise.withResolvers<void>();
    engine.on("outcome", (o) => {
      if (o.status === "stapled") stapled.add(o.path);
      if (o.status === "failed") done.reject(o.error);
      if (stapled.size === 3) done.resolve();
    });
    await engine.start();
    await done.promise;
    await engine.idle();
    await assertServed(site, ["k1", "k2", "k3"]);
    assert.deepEqual(results.filter((r) => !r.ok), []);
    await assertStaplesVerify(site, {
      k1: `${site.dir}/certs/k1.pem.ocsp`,
      k2: `${site.dir}/certs/k2.pem.ocsp`,
      k3: `${site.dir}/ssl/k3.pem.ocsp`,
    });
  } finally {
    await engine.stop();
    await site.stop();
  }
});

Deno.test({
  name:
    "HAProxy 3.0: a crt-list certificate with [ocsp-update on] gets its staple file renewed and is never pushed",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const site = await makeSite(["k1", "k2", "k3", "k4"], {
    bind: (dir) => ` crt-list ${dir}/list.txt`,
    files: async (dir, leaves, ca) => {
      await writeBundle(`${dir}/ssl/k4.pem`, leaves.k4, [ca]);
      await Deno.writeTextFile(`${dir}/list.txt`, `${dir}/ssl/k4.pem [ocsp-update on]\n`);
    },
  });
  const results: PushResult[] = [];
  const sink = adder(results);
  try {
    const { config, resolved } = await sourcesOf(site);
    const k4 = `${site.dir}/ssl/k4.pem`;
    const lines: string[] = [];
    await checkConfig(config, resolved, (l) => lines.push(l));
    const updated = lines.findIndex((l) => l.startsWith("HAProxy also updates these in memory"));
    assert.ok(updated >= 0, lines.join("\n"));
    assert.ok(lines[updated + 1].startsWith(`  ${k4}: ocsp-update on`), lines.join("\n"));
    assert.ok(
      lines.some((l) =>
        l.startsWith(`  ${k4}:`) && l.endsWith("; not pushed (HAProxy updates it)")
      ),
      lines.join("\n"),
    );
    const summary = await runOneOff(resolved.sources, { sink, print: () => {} });
    assert.equal(summary.exitCode, 0);
    assert.ok((await Deno.stat(`${k4}.ocsp`)).size > 0);
    await assertStaplesVerify(site, { k4: `${k4}.ocsp` });
    assert.deepEqual(results.filter((r) => r.certPath === k4), []);
    assert.equal(results.filter((r) => r.ok).length, 3); // k1, k2, k3
  } finally {
    await sink.close();
    await site.stop();
  }
});
