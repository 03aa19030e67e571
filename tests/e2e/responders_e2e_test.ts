/**
 * Responders end to end: `main.ts --one-off` with the binary's permissions
 * against OpenSSL's real responder, next to a responder that accepts
 * connections and never answers; through tinyproxy (`--ocsp-proxy`, and
 * HTTP_PROXY from the environment); and with `--ocsp-responder-override`
 * sending an unreachable responder's requests to OpenSSL's. Every staple is
 * checked by `openssl ocsp`.
 */
import assert from "node:assert/strict";
import { type Issued, TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { hasCommand, requirePeer } from "../_helpers/net.ts";
import { type OpensslResponder, opensslResponder } from "../_helpers/openssl_responder.ts";
import { assertOpensslAccepts } from "../_helpers/openssl_verify.ts";
import { runStapled } from "../_helpers/run_stapled.ts";
import { neverAnswer, startRawServer, startTinyproxy } from "../ocsp/responders/_servers.ts";

const haveOpenssl = requirePeer(await hasCommand("openssl"), "openssl");
const haveTinyproxy = requirePeer(await hasCommand("tinyproxy"), "tinyproxy");
const root = await TestCa.root("Responders E2E Root");
const ca = await root.intermediate("Responders E2E CA");
const deadCa = await root.intermediate("Responders E2E Dead CA");

interface Setup {
  dir: string;
  certs: string;
  responder: OpensslResponder;
  /** Writes a bundle of `ca` naming `urls` as `<name>.pem`; live ones are in OpenSSL's index. */
  leaf(name: string, urls: string[], issuer?: TestCa): Promise<Issued>;
  close(): Promise<void>;
}

async function setup(prefix: string): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix });
  const certs = `${dir}/certs`;
  await Deno.mkdir(certs);
  await Deno.mkdir(`${dir}/responder`);
  const responder = opensslResponder(`${dir}/responder`, ca);
  const live: Issued[] = [];
  return {
    dir,
    certs,
    responder,
    async leaf(name, urls, issuer = ca) {
      const leaf = await issuer.leaf(`${name}.example.test`, { ocspUrls: urls });
      if (issuer === ca) {
        live.push(leaf);
        await responder.writeIndex(live.map((cert) => ({ cert })));
      }
      await writeBundle(`${certs}/${name}.pem`, leaf, [issuer]);
      return leaf;
    },
    async close() {
      await responder.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function assertStapled(s: Setup, name: string, leaf: Issued): Promise<void> {
  const staple = await Deno.readFile(`${s.certs}/${name}.pem.ocsp`);
  await assertOpensslAccepts(staple, { leaf, issuer: ca, root }, { status: "good" });
}

Deno.test({
  name:
    "a one-off with a responder that never answers ends after two timeouts: its certificates 'responder down', the live CA's stapled",
  ignore: !haveOpenssl,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const s = await setup("stapled-dead-ca-");
  const dead = startRawServer(neverAnswer);
  try {
    const deadNames = Array.from({ length: 12 }, (_, i) => `a-dead-${String(i).padStart(2, "0")}`);
    for (const name of deadNames) await s.leaf(name, [`${dead.url}/ocsp`], deadCa);
    const live = [await s.leaf("b-live-0", [s.responder.url])];
    live.push(await s.leaf("b-live-1", [s.responder.url]));
    await s.responder.start();
    const run = await runStapled(["--one-off", "-p", s.certs, "--timeout", "0.3"], {
      cwd: s.dir,
      env: { HOME: s.dir },
    });
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines.length, 14, run.stdout);
    const port = dead.port;
    const why = `http://127.0.0.1:${port}/ocsp: no complete answer within 0.3 s`;
    const down = lines.filter((l) =>
      l.endsWith(
        `: FAILED: responder down (http://127.0.0.1:${port}): ${why}; not asked again in this run`,
      )
    );
    const timedOut = lines.filter((l) => l.endsWith(`: FAILED: ${why}`));
    // -t 2: two timeouts, two more, and the breaker (3 failures) stops the rest.
    assert.equal(timedOut.length, 4, run.stdout);
    assert.equal(down.length, 8, run.stdout);
    assert.equal(dead.requests.length, 4, "the dead responder was asked 4 times, not 12");
    for (const i of [0, 1]) {
      assert.match(
        run.stdout,
        new RegExp(`b-live-${i}\\.pem: good, valid until .* \\(fetched from`),
      );
      await assertStapled(s, `b-live-${i}`, live[i]);
    }
    assert.match(
      run.stderr,
      /14 certificate\(s\): 2 stapled, 0 without OCSP URL, 0 revoked, 4 failed, 8 responder down/,
    );
    assert.match(
      run.stderr,
      new RegExp(`OCSP responder http://127\\.0\\.0\\.1:${dead.port} is down`),
    );
  } finally {
    await dead.close();
    await s.close();
  }
});

Deno.test({
  name:
    "--ocsp-proxy sends OCSP requests through tinyproxy, and so does HTTP_PROXY from the environment",
  ignore: !haveOpenssl || !haveTinyproxy,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const s = await setup("stapled-proxy-e2e-");
  const proxy = await startTinyproxy(s.dir);
  try {
    const leaf = await s.leaf("proxied", [s.responder.url]);
    await s.responder.start();
    const requested = () =>
      proxy.log().then((log) =>
        (log.match(new RegExp(`GET http://127\\.0\\.0\\.1:${s.responder.port}/`, "g")) ?? [])
          .length
      );
    const explicit = await runStapled(
      ["--one-off", "--no-recycle", "-p", s.certs, "--ocsp-proxy", proxy.url],
      { cwd: s.dir, env: { HOME: s.dir } },
    );
    assert.equal(explicit.code, 0, explicit.stderr);
    await assertStapled(s, "proxied", leaf);
    assert.equal(await requested(), 1, "the request went through tinyproxy");
    const fromEnv = await runStapled(["--one-off", "--no-recycle", "-p", s.certs], {
      cwd: s.dir,
      env: { HOME: s.dir, HTTP_PROXY: proxy.url },
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    await assertStapled(s, "proxied", leaf);
    assert.equal(await requested(), 2, "HTTP_PROXY from the environment is honoured");
  } finally {
    await proxy.stop();
    await s.close();
  }
});

Deno.test({
  name:
    "--ocsp-responder-override sends an unreachable responder's requests to the mirror, and the staple is good",
  ignore: !haveOpenssl,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const s = await setup("stapled-override-e2e-");
  try {
    const leaf = await s.leaf("mirrored", ["http://ocsp.unreachable.invalid/r3"]);
    await s.responder.start();
    const without = await runStapled(["--one-off", "-p", s.certs, "--timeout", "2"], {
      cwd: s.dir,
      env: { HOME: s.dir },
    });
    assert.equal(without.code, 1, "the certificate's own responder cannot be reached");
    const run = await runStapled(
      [
        "--one-off",
        "-p",
        s.certs,
        "--ocsp-responder-override",
        `http://ocsp.unreachable.invalid/r3=${s.responder.url}`,
      ],
      { cwd: s.dir, env: { HOME: s.dir } },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /mirrored\.pem: good, valid until .* \(fetched from http:\/\/ocsp\.unreachable\.invalid\/r3\)/,
    );
    await assertStapled(s, "mirrored", leaf);
  } finally {
    await s.close();
  }
});
