/**
 * ResponderPool against real peers on 127.0.0.1: OpenSSL's responder
 * (`openssl ocsp -port`, one connection at a time) and tinyproxy, a real
 * forward proxy.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../../scripts/lib/pki.ts";
import { hasCommand } from "../../_helpers/net.ts";
import { opensslResponder } from "../../_helpers/openssl_responder.ts";
import { hasOcsp, parseBundle } from "../../../src/certs/mod.ts";
import { certIdFor, encodeOcspRequest } from "../../../src/ocsp/mod.ts";
import { type ResponderEvent, ResponderPool } from "../../../src/ocsp/responders/mod.ts";
import { answerOk, BODY, countingRelay, startRawServer, startTinyproxy } from "./_servers.ts";

const haveOpenssl = await hasCommand("openssl");
const haveTinyproxy = await hasCommand("tinyproxy");
const REQUEST = new Uint8Array(40).map((_, i) => i);

/** OCSPResponse SEQUENCE with responseStatus successful (0). */
function isSuccessfulOcspResponse(body: Uint8Array): boolean {
  const at = body[1] === 0x82 ? 4 : body[1] === 0x81 ? 3 : 2;
  return body[0] === 0x30 && body[at] === 0x0a && body[at + 1] === 0x01 && body[at + 2] === 0x00;
}

Deno.test({
  name: "OpenSSL's responder answers every pooled request, 4 in flight, one connection each",
  ignore: !haveOpenssl,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-pool-openssl-" });
  const root = await TestCa.root("Pool Root");
  const ca = await root.intermediate("Pool CA");
  const responder = opensslResponder(dir, ca);
  const leaf = await ca.leaf("pool.example.test", { ocspUrls: [responder.url] });
  await writeBundle(`${dir}/site.pem`, leaf, [ca]);
  const bundle = await parseBundle(`${dir}/site.pem`, await Deno.readFile(`${dir}/site.pem`));
  assert.ok(hasOcsp(bundle));
  const request = encodeOcspRequest(await certIdFor(bundle.issuer, bundle.leaf.serial));
  await responder.writeIndex([{ cert: leaf }]);
  await responder.start();
  const relay = countingRelay(responder.port);
  try {
    for (const keepAlive of [true, false]) {
      const events: ResponderEvent[] = [];
      const before = relay.connections;
      using pool = new ResponderPool({
        concurrency: 4,
        timeoutMs: 2000,
        keepAlive,
        proxySettings: {},
        onEvent: (e) => events.push(e),
      });
      const bodies = await Promise.all(
        Array.from({ length: 100 }, () => pool.fetchOcspResponse(`${relay.url}/`, request)),
      );
      for (const body of bodies) assert.ok(isSuccessfulOcspResponse(body));
      assert.deepEqual(events, [], "never serial, never down");
      // OpenSSL answers in HTTP/1.0 and closes: nothing is kept alive.
      assert.equal(relay.connections - before, 100, `keepAlive ${keepAlive}`);
      console.log(
        `openssl ocsp, keepAlive ${keepAlive}: ${
          relay.connections - before
        } connections for 100 requests`,
      );
    }
    // Directly too, without the relay.
    using pool = new ResponderPool({ concurrency: 4, timeoutMs: 2000, proxySettings: {} });
    const direct = await Promise.all(
      Array.from({ length: 20 }, () => pool.fetchOcspResponse(responder.url, request)),
    );
    for (const body of direct) assert.ok(isSuccessfulOcspResponse(body));
  } finally {
    await relay.close();
    await responder.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "requests go through tinyproxy when it is the explicit proxy, and around it for NO_PROXY",
  ignore: !haveTinyproxy,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-pool-proxy-" });
  const proxy = await startTinyproxy(dir);
  const server = startRawServer(answerOk);
  try {
    {
      using pool = new ResponderPool({
        proxy: proxy.url,
        proxySettings: { httpProxy: "http://127.0.0.1:9" },
      });
      assert.deepEqual(await pool.fetchOcspResponse(`${server.url}/ocsp`, REQUEST), BODY);
      assert.deepEqual(await pool.fetchOcspResponse(`${server.url}/ocsp`, REQUEST), BODY);
      assert.equal(pool.statuses()[0].proxy, proxy.url);
    }
    assert.equal(server.requests.length, 2);
    for (const req of server.requests) {
      assert.match(
        req.headers.get("via") ?? "",
        /stapled-test-proxy/,
        "the request came through tinyproxy",
      );
    }
    assert.match(await proxy.log(), new RegExp(`GET http://127\\.0\\.0\\.1:${server.port}/ocsp/`));

    {
      using pool = new ResponderPool({
        proxy: proxy.url,
        proxySettings: { noProxy: `127.0.0.1:${server.port}` },
      });
      assert.deepEqual(await pool.fetchOcspResponse(`${server.url}/ocsp`, REQUEST), BODY);
      assert.equal(pool.statuses()[0].proxy, undefined);
    }
    assert.equal(server.requests[2].headers.get("via"), undefined, "NO_PROXY: direct");
  } finally {
    await server.close();
    await proxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "HTTP_PROXY from the environment is used, and NO_PROXY host:port (which Deno alone ignores) goes direct",
  ignore: !haveTinyproxy,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-pool-env-" });
  const proxy = await startTinyproxy(dir);
  const server = startRawServer(answerOk);
  const script = `${dir}/fetch.ts`;
  await Deno.writeTextFile(
    script,
    `import { ResponderPool } from ${
      JSON.stringify(new URL("../../../src/ocsp/responders/mod.ts", import.meta.url).href)
    };
using pool = new ResponderPool();
await pool.fetchOcspResponse(Deno.args[0], new Uint8Array(8));
console.log(pool.statuses()[0].proxy ?? "direct");`,
  );
  const run = async (env: Record<string, string>) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `--config=${new URL("../../../deno.json", import.meta.url).pathname}`,
        script,
        `${server.url}/ocsp`,
      ],
      env: { ...env, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    const home = Deno.env.get("HOME") ?? "/root";
    const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
    const denoDir = Deno.env.get("DENO_DIR");
    const base: Record<string, string> = {
      HOME: home,
      PATH: path,
      ...(denoDir ? { DENO_DIR: denoDir } : {}),
    };
    assert.equal(await run({ ...base, http_proxy: proxy.url }), proxy.url);
    assert.match(server.requests[0].headers.get("via") ?? "", /stapled-test-proxy/);
    assert.equal(
      await run({ ...base, HTTP_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${server.port}` }),
      "direct",
    );
    assert.equal(server.requests[1].headers.get("via"), undefined, "direct, not through tinyproxy");
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
    await proxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
