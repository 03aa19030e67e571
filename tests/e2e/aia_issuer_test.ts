/**
 * A bare leaf (no chain, no `.issuer`) whose AIA caIssuers URL points at a
 * local HTTP server: stapled fetches the issuer, checks it signed the leaf,
 * writes `<crt>.issuer` where HAProxy reads it and staples the bundle with
 * OpenSSL's real responder; the staple verifies with `openssl ocsp` and
 * HAProxy 2.6 accepts the result (`haproxy -c`, which refuses a `.ocsp` it
 * cannot match to an issuer). An answer that did not sign the leaf is
 * refused with one line and nothing is written; `--check-config` says where
 * the issuer would come from without fetching; `--no-fetch-issuer` fetches
 * nothing; under `ssl-load-extra-files` without `issuer` nothing is fetched
 * (HAProxy would not read the file) and the line says so.
 */
import assert from "node:assert/strict";
import { type Issued, TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { HAPROXY } from "../_helpers/haproxy.ts";
import { freePort, hasCommand } from "../_helpers/net.ts";
import { opensslResponder } from "../_helpers/openssl_responder.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";
import { runOneOff } from "../../src/cli/one_off.ts";
import { checkConfig } from "../../src/cli/check_config.ts";
import { loadConfig } from "../../src/config/config.ts";
import { parseCommandLine } from "../../src/config/command_line.ts";
import { resolveSources } from "../../src/daemon/mod.ts";

const haveTools = HAPROXY !== undefined && await hasCommand("openssl");

interface Fixture {
  dir: string;
  site: string;
  root: TestCa;
  ca: TestCa;
  leaf: Issued;
  caIssuersUrl: string;
  requests: string[];
  stop(): Promise<void>;
}

/** A CA with OpenSSL's responder, a caIssuers server answering `served`, and a bare leaf. */
async function fixture(served: (ca: TestCa, other: TestCa) => Uint8Array): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-aia-" });
  const root = await TestCa.root("AIA Root");
  const ca = await root.intermediate("AIA Issuing CA");
  const other = await root.intermediate("AIA Issuing CA"); // same name, another key
  const responder = opensslResponder(dir, ca);
  const port = freePort();
  const caIssuersUrl = `http://127.0.0.1:${port}/issuing-ca.der`;
  const leaf = await ca.leaf("aia.test", {
    ocspUrls: [responder.url],
    caIssuersUrls: [caIssuersUrl],
  });
  await responder.writeIndex([{ cert: leaf }]);
  await responder.start();
  const requests: string[] = [];
  const body = served(ca, other);
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => {
    requests.push(new URL(req.url).pathname);
    return new Response(body as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": "application/pkix-cert" },
    });
  });
  const site = `${dir}/site.pem`;
  await writeBundle(site, leaf, []);
  return {
    dir,
    site,
    root,
    ca,
    leaf,
    caIssuersUrl,
    requests,
    async stop() {
      await server.shutdown();
      await responder.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** `haproxy -c` (2.6) on a bind line serving `crt`, with `global` lines. */
async function haproxyCheck(dir: string, crt: string, global: string[] = []): Promise<string> {
  const config = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(
    config,
    `global\n${
      global.map((l) => `    ${l}\n`).join("")
    }defaults\n    mode tcp\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind 127.0.0.1:${freePort()} ssl crt ${crt}\n`,
  );
  const out = await new Deno.Command(HAPROXY!, {
    args: ["-c", "-f", config],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, text);
  return config;
}

Deno.test({
  name:
    "a bare leaf's issuer is fetched from its caIssuers URL, written as <crt>.issuer and the bundle stapled; haproxy -c accepts it",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const f = await fixture((ca) => ca.der);
  try {
    const lines: string[] = [];
    const summary = await runOneOff([{ paths: [f.site] }], { print: (l) => lines.push(l) });
    assert.equal(summary.exitCode, 0, lines.join("\n"));
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      new RegExp(
        `^${f.site}: good, valid until .* \\(fetched from http://127\\.0\\.0\\.1:\\d+\\) \\(issuer fetched from ${
          f.caIssuersUrl.replaceAll(".", "\\.")
        }\\)$`,
      ),
    );
    assert.equal(await Deno.readTextFile(`${f.site}.issuer`), f.ca.pem);
    await assertOpensslAccepts(await Deno.readFile(`${f.site}.ocsp`), {
      leaf: f.leaf,
      issuer: f.ca,
      root: f.root,
    });
    await haproxyCheck(f.dir, f.site);
    // A second run finds the issuer file: no fetch, no suffix.
    const again: string[] = [];
    await runOneOff([{ paths: [f.site] }], { print: (l) => again.push(l) });
    assert.equal(f.requests.length, 1);
    assert.ok(!again[0].includes("issuer fetched"), again[0]);
  } finally {
    await f.stop();
  }
});

Deno.test({
  name:
    "under ssl-load-extra-del-ext the fetched issuer of site.crt is written as site.issuer, where HAProxy reads it",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const f = await fixture((ca) => new TextEncoder().encode(ca.pem)); // PEM this time
  try {
    const crt = `${f.dir}/site.crt`;
    await Deno.rename(f.site, crt);
    const config = await haproxyCheck(f.dir, crt, ["ssl-load-extra-del-ext"]);
    const cli = parseCommandLine(["--one-off", "--haproxy-config", config, "--no-haproxy-sockets"]);
    const { sources } = await resolveSources(await loadConfig(cli));
    const lines: string[] = [];
    const summary = await runOneOff(sources, { print: (l) => lines.push(l) });
    assert.equal(summary.exitCode, 0, lines.join("\n"));
    assert.equal(await Deno.readTextFile(`${f.dir}/site.issuer`), f.ca.pem);
    assert.ok(!(await exists(`${crt}.issuer`)));
    assert.ok((await Deno.stat(`${f.dir}/site.ocsp`)).size > 0);
    await haproxyCheck(f.dir, crt, ["ssl-load-extra-del-ext"]);
  } finally {
    await f.stop();
  }
});

Deno.test({
  name:
    "a caIssuers answer that did not sign the leaf is refused with one line, and nothing is written",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const f = await fixture((_ca, other) => other.der);
  try {
    const lines: string[] = [];
    const summary = await runOneOff([{ paths: [f.site] }], { print: (l) => lines.push(l) });
    assert.equal(summary.exitCode, 1);
    assert.deepEqual(lines, [
      `${f.site}: FAILED: the caIssuers URL ${f.caIssuersUrl} answered with no usable issuer: "CN=AIA Issuing CA, O=stapled tests" did not sign "CN=aia.test"; nothing written`,
    ]);
    assert.ok(!(await exists(`${f.site}.issuer`)));
    assert.ok(!(await exists(`${f.site}.ocsp`)));
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(f.dir))).map((e) => e.name).filter((n) =>
        n.startsWith(".site")
      ),
      [],
    );
  } finally {
    await f.stop();
  }
});

Deno.test({
  name:
    "--check-config says the issuer would be fetched from the caIssuers URL and fetches nothing; --no-fetch-issuer fetches nothing",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const f = await fixture((ca) => ca.der);
  try {
    const cli = parseCommandLine(["--check-config", "-p", f.site]);
    const config = await loadConfig(cli);
    const lines: string[] = [];
    assert.equal(await checkConfig(config, await resolveSources(config), (l) => lines.push(l)), 0);
    assert.ok(
      lines.includes(
        `  ${f.site}: issuer would be fetched from ${f.caIssuersUrl} and written to ${f.site}.issuer; staple ${f.site}.ocsp; not pushed`,
      ),
      lines.join("\n"),
    );
    const out: string[] = [];
    const summary = await runOneOff([{ paths: [f.site] }], {
      fetchIssuer: false,
      print: (l) => out.push(l),
    });
    assert.equal(summary.exitCode, 1);
    assert.match(
      out[0],
      /FAILED: issuer missing: the issuing CA of "CN=aia.test" is neither in the bundle nor in /,
    );
    assert.deepEqual(f.requests, []);
    assert.ok(!(await exists(`${f.site}.issuer`)));
  } finally {
    await f.stop();
  }
});

Deno.test({
  name:
    "with ssl-load-extra-files lacking 'issuer' the issuer is not fetched (HAProxy would not read it) and the line says so",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const f = await fixture((ca) => ca.der);
  try {
    const config = await haproxyCheck(f.dir, f.site, ["ssl-load-extra-files bundle ocsp"]);
    const cli = parseCommandLine(["--one-off", "--haproxy-config", config, "--no-haproxy-sockets"]);
    const { sources } = await resolveSources(await loadConfig(cli));
    const lines: string[] = [];
    const summary = await runOneOff(sources, { print: (l) => lines.push(l) });
    assert.equal(summary.exitCode, 1);
    assert.match(
      lines[0],
      new RegExp(
        `its caIssuers URL ${
          f.caIssuersUrl.replaceAll(".", "\\.")
        } was not fetched: HAProxy would not read the issuer file stapled would write$`,
      ),
    );
    assert.deepEqual(f.requests, []);
    assert.ok(!(await exists(`${f.site}.issuer`)));
    assert.ok(!(await exists(`${f.site}.ocsp`)));
  } finally {
    await f.stop();
  }
});
