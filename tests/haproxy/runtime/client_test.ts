import assert from "node:assert/strict";
import { SocketError, StapleAdderBadResponse } from "../../../src/errors/mod.ts";
import { HaproxyRuntimeClient } from "../../../src/haproxy/runtime/mod.ts";
import {
  HAPROXY,
  type HaproxyInstance,
  servedStaple,
  startHaproxy,
} from "../../_helpers/haproxy.ts";
import {
  makeCa,
  makeLeaf,
  makeOcspResponse,
  type TestCa,
  type TestLeaf,
} from "../../_helpers/openssl_fixtures.ts";
import { WatchedClock } from "./_watched_clock.ts";
import { startFakeHaproxy } from "./_fake_haproxy.ts";

interface Setup {
  dir: string;
  ca: TestCa;
  /** Had a .ocsp file when HAProxy started. */
  stapled: TestLeaf;
  /** Had none. */
  bare: TestLeaf;
  haproxy: HaproxyInstance;
}

/** A CA, two leaves (one with a startup .ocsp), and HAProxy serving both. */
async function withHaproxy(
  fn: (setup: Setup) => Promise<void>,
  options: { tcpSocket?: boolean } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-runtime-" });
  try {
    const ca = await makeCa(dir);
    const [stapled, bare] = await Promise.all([makeLeaf(ca, "a.test"), makeLeaf(ca, "b.test")]);
    const initial = await makeOcspResponse(ca, stapled, { days: 1 });
    await Deno.writeFile(`${stapled.bundlePath}.ocsp`, initial.der);
    const haproxy = await startHaproxy({
      dir,
      crts: [stapled.bundlePath, bare.bundlePath],
      tcpSocket: options.tcpSocket,
    });
    try {
      await fn({ dir, ca, stapled, bare, haproxy });
    } finally {
      await haproxy.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function unixClient(haproxy: HaproxyInstance, clock?: WatchedClock): HaproxyRuntimeClient {
  return new HaproxyRuntimeClient({ transport: "unix", path: haproxy.socketPath }, { clock });
}

Deno.test({
  name: "setOcspResponse() replaces a staple HAProxy loaded at startup, without a restart",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ ca, stapled, haproxy }) => {
      const pid = haproxy.pid;
      const before = await servedStaple(haproxy.tlsPort, stapled.name);
      const fresh = await makeOcspResponse(ca, stapled, { days: 3 });
      assert.equal(before.certStatus, "good");
      assert.notEqual(before.nextUpdate, fresh.nextUpdate);
      const client = unixClient(haproxy);
      try {
        assert.equal(await client.setOcspResponse(stapled.bundlePath, fresh.der), "updated");
      } finally {
        await client.close();
      }
      const served = await servedStaple(haproxy.tlsPort, stapled.name);
      assert.equal(served.certStatus, "good");
      assert.equal(served.thisUpdate, fresh.thisUpdate);
      assert.equal(served.nextUpdate, fresh.nextUpdate);
      assert.equal(haproxy.pid, pid);
    }),
});

Deno.test({
  name: "setOcspResponse() commits a transaction for a certificate that had no .ocsp at startup",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ ca, bare, haproxy }) => {
      const pid = haproxy.pid;
      assert.match((await servedStaple(haproxy.tlsPort, bare.name)).text, /no response sent/);
      const response = await makeOcspResponse(ca, bare, { days: 2 });
      const client = unixClient(haproxy);
      try {
        assert.equal(await client.setOcspResponse(bare.bundlePath, response.der), "committed");
        const newer = await makeOcspResponse(ca, bare, { days: 4 });
        assert.equal(await client.setOcspResponse(bare.bundlePath, newer.der), "updated");
        const served = await servedStaple(haproxy.tlsPort, bare.name);
        assert.equal(served.certStatus, "good");
        assert.equal(served.nextUpdate, newer.nextUpdate);
        assert.equal(haproxy.pid, pid);
      } finally {
        await client.close();
      }
    }),
});

Deno.test({
  name: "setOcspResponse() finds HAProxy's name for a certificate reached through a symlink",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ dir, ca, bare, haproxy }) => {
      const link = `${dir}/link-to-b.pem`;
      await Deno.symlink(bare.bundlePath, link);
      const response = await makeOcspResponse(ca, bare, { days: 2 });
      const client = unixClient(haproxy);
      try {
        assert.equal(await client.setOcspResponse(link, response.der), "committed");
      } finally {
        await client.close();
      }
      const served = await servedStaple(haproxy.tlsPort, bare.name);
      assert.equal(served.nextUpdate, response.nextUpdate);
    }),
});

Deno.test({
  name: "setOcspResponse() turns HAProxy's refusal of unparsable bytes into StapleAdderBadResponse",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ stapled, haproxy }) => {
      const client = unixClient(haproxy);
      try {
        await assert.rejects(
          client.setOcspResponse(stapled.bundlePath, new Uint8Array([1, 2, 3, 4, 5])),
          (err: unknown) => {
            assert.ok(err instanceof StapleAdderBadResponse);
            assert.equal(err.reply, "Unable to parse OCSP response.");
            assert.equal(
              err.message,
              `${stapled.bundlePath}: HAProxy refused the staple: Unable to parse OCSP response.`,
            );
            return true;
          },
        );
        // the connection is still usable after a refusal
        assert.equal((await client.showSslCerts()).length, 2);
      } finally {
        await client.close();
      }
    }),
});

Deno.test({
  name: "setOcspResponse() refuses a certificate HAProxy does not serve, quoting its reply",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ dir, ca, haproxy }) => {
      const stranger = await makeLeaf(ca, "c.test", dir);
      const response = await makeOcspResponse(ca, stranger);
      const client = unixClient(haproxy);
      try {
        await assert.rejects(
          client.setOcspResponse(stranger.bundlePath, response.der),
          (err: unknown) => {
            assert.ok(err instanceof StapleAdderBadResponse);
            assert.equal(
              err.reply,
              "OCSP single response: Certificate ID does not match any certificate or issuer.\n" +
                `'show ssl cert' lists no file that is ${stranger.bundlePath}`,
            );
            return true;
          },
        );
      } finally {
        await client.close();
      }
    }),
});

Deno.test({
  name: "setOcspResponse() aborts a transaction left open for the same certificate",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ ca, bare, haproxy }) => {
      const leftover = await makeOcspResponse(ca, bare, { days: 1 });
      const response = await makeOcspResponse(ca, bare, { days: 5 });
      const other = unixClient(haproxy);
      const client = unixClient(haproxy);
      try {
        const payload = btoa(String.fromCharCode(...leftover.der));
        assert.equal(
          await other.command(`set ssl cert ${bare.bundlePath}.ocsp`, { payload }),
          `Transaction created for certificate ${bare.bundlePath}!`,
        );
        assert.equal(await client.setOcspResponse(bare.bundlePath, response.der), "committed");
        assert.doesNotMatch(await client.command("show ssl cert"), /# transaction/);
      } finally {
        await Promise.all([other.close(), client.close()]);
      }
      const served = await servedStaple(haproxy.tlsPort, bare.name);
      assert.equal(served.nextUpdate, response.nextUpdate);
    }),
});

Deno.test({
  name: "setOcspResponse() leaves a transaction open for another certificate alone and says so",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ ca, stapled, bare, haproxy }) => {
      const theirs = await makeOcspResponse(ca, stapled);
      const response = await makeOcspResponse(ca, bare);
      const client = unixClient(haproxy);
      try {
        await client.command(`set ssl cert ${stapled.bundlePath}.ocsp`, {
          payload: btoa(String.fromCharCode(...theirs.der)),
        });
        await assert.rejects(
          client.setOcspResponse(bare.bundlePath, response.der),
          (err: unknown) => {
            assert.ok(err instanceof StapleAdderBadResponse);
            assert.match(
              err.reply,
              new RegExp(`transaction is open for ${stapled.bundlePath}; stapled leaves it alone`),
            );
            return true;
          },
        );
        assert.match(
          await client.command("show ssl cert"),
          new RegExp(`# transaction\n\\*${stapled.bundlePath}\n`),
        );
      } finally {
        await client.close();
      }
    }),
});

Deno.test({
  name: "a TCP stats socket lists certificates and takes staples like a unix one",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ ca, stapled, bare, haproxy }) => {
      const client = new HaproxyRuntimeClient({
        transport: "tcp",
        hostname: "127.0.0.1",
        port: haproxy.tcpSocketPort!,
      });
      try {
        assert.deepEqual(await client.showSslCerts(), [stapled.bundlePath, bare.bundlePath]);
        const response = await makeOcspResponse(ca, bare, { days: 2 });
        assert.equal(await client.setOcspResponse(bare.bundlePath, response.der), "committed");
      } finally {
        await client.close();
      }
    }, { tcpSocket: true }),
});

Deno.test({
  name: "commands issued together run one at a time and each gets its own reply",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ ca, stapled, bare, haproxy }) => {
      const [a, b] = await Promise.all([
        makeOcspResponse(ca, stapled, { days: 2 }),
        makeOcspResponse(ca, bare, { days: 2 }),
      ]);
      const client = unixClient(haproxy);
      try {
        const results = await Promise.all([
          client.setOcspResponse(stapled.bundlePath, a.der),
          client.showSslCerts(),
          client.setOcspResponse(bare.bundlePath, b.der),
          client.command("show cli level"),
          client.setOcspResponse(stapled.bundlePath, new Uint8Array([0])).catch((err) => err),
        ]);
        assert.deepEqual(results.slice(0, 4), [
          "updated",
          [stapled.bundlePath, bare.bundlePath],
          "committed",
          "admin",
        ]);
        assert.ok(results[4] instanceof StapleAdderBadResponse);
      } finally {
        await client.close();
      }
    }),
});

Deno.test({
  name: "after HAProxy restarts, the client reconnects and calls onReconnect",
  ignore: !HAPROXY,
  fn: () =>
    withHaproxy(async ({ ca, stapled, haproxy }) => {
      const clock = new WatchedClock();
      const client = unixClient(haproxy, clock);
      let reconnected!: () => void;
      const reconnect = new Promise<void>((resolve) => reconnected = resolve);
      client.onReconnect(() => reconnected());
      try {
        await client.connect();
        const oldPid = haproxy.pid;
        const retry = clock.nextTimer();
        await haproxy.restart();
        assert.equal(await retry, 1000); // HAProxy's close was noticed while idle
        assert.equal(client.status, "reconnecting");
        await assert.rejects(client.showSslCerts(), SocketError);

        await clock.advance(1000);
        await reconnect;
        assert.equal(client.status, "connected");
        assert.notEqual(haproxy.pid, oldPid);
        const response = await makeOcspResponse(ca, stapled, { days: 2 });
        assert.equal(await client.setOcspResponse(stapled.bundlePath, response.der), "updated");
      } finally {
        await client.close();
      }
    }),
});

Deno.test({
  name: "setOcspResponse() escapes spaces and semicolons in a certificate path",
  ignore: !HAPROXY,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "stapled-runtime-" });
    try {
      const ca = await makeCa(dir);
      const odd = `${dir}/with space;semicolon`;
      await Deno.mkdir(odd);
      const leaf = await makeLeaf(ca, "odd.test", odd);
      const response = await makeOcspResponse(ca, leaf, { days: 2 });
      const haproxy = await startHaproxy({ dir, crts: [leaf.bundlePath] });
      const client = unixClient(haproxy);
      try {
        assert.deepEqual(await client.showSslCerts(), [leaf.bundlePath]);
        assert.equal(await client.setOcspResponse(leaf.bundlePath, response.der), "committed");
        const served = await servedStaple(haproxy.tlsPort, leaf.name);
        assert.equal(served.nextUpdate, response.nextUpdate);
      } finally {
        await client.close();
        await haproxy.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the daemon's permission flags are enough to reach a unix socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-perm-" });
  const fake = startFakeHaproxy(dir, () => {});
  try {
    const script = `${dir}/connect.ts`;
    const mod = new URL("../../../src/haproxy/runtime/mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { HaproxyRuntimeClient } from "${mod}";\n` +
        `const client = new HaproxyRuntimeClient({ transport: "unix", path: Deno.args[0] });\n` +
        `await client.connect();\nconsole.log(client.status);\nawait client.close();\n`,
    );
    const config = new URL("../../../deno.json", import.meta.url).pathname;
    const daemonFlags = ["--allow-read", "--allow-write", "--allow-net", "--allow-env"];
    const run = (flags: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "--config", config, ...flags, script, fake.path],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const allowed = await run(daemonFlags);
    assert.equal(new TextDecoder().decode(allowed.stdout), "connected\n");
    const netOnly = await run(["--allow-net", "--allow-env"]);
    assert.equal(netOnly.success, false);
    assert.match(new TextDecoder().decode(netOnly.stderr), /Requires read access/);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
