/**
 * The runtime client against in-process fakes, for what a real HAProxy
 * cannot be made to do on cue: drop every connection at its first command,
 * answer `show info` as a stopping worker, have its socket path replaced
 * under a live connection. Also the size limits, checked before sending.
 */
import assert from "node:assert/strict";
import { SocketError } from "../../../src/errors/mod.ts";
import {
  HaproxyRuntimeClient,
  type HaproxyRuntimeClientOptions,
  StapleNotSentError,
} from "../../../src/haproxy/runtime/mod.ts";
import { encodeCommand, MAX_COMMAND_BYTES } from "../../../src/haproxy/runtime/_framing.ts";
import { parseShowInfo } from "../../../src/haproxy/runtime/_show_info.ts";
import { MAX_STAPLE_BYTES } from "../../../src/staples/limits.ts";
import { until } from "../../_helpers/wait.ts";
import { WatchedClock } from "./_watched_clock.ts";
import { type FakeBehaviour, type FakeHaproxy, startFakeHaproxy } from "./_fake_haproxy.ts";

async function withFake(
  behaviour: FakeBehaviour,
  fn: (fake: FakeHaproxy, client: HaproxyRuntimeClient, clock: WatchedClock) => Promise<void>,
  options: { showInfo?: (() => string) | null; client?: HaproxyRuntimeClientOptions } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-fake-" });
  const fake = startFakeHaproxy(dir, behaviour, { showInfo: options.showInfo });
  const clock = new WatchedClock();
  const client = new HaproxyRuntimeClient({ transport: "unix", path: fake.path }, {
    clock,
    ...options.client,
  });
  try {
    await fn(fake, client, clock);
  } finally {
    await client.close();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const updated: FakeBehaviour = async (line, reply) => {
  if (line === "") await reply("+ + OCSP Response updated!\n");
};

/** Resolves once the client has made `count` more connections (after a loss or a reload). */
function reconnected(client: HaproxyRuntimeClient, count = 1): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = client.onReconnect(() => {
      if (++seen === count) {
        off();
        resolve();
      }
    });
  });
}

Deno.test("a connection HAProxy drops at its first command does not bring the backoff back to 1 s", async () => {
  await withFake((_line, _reply, hangUp) => hangUp(), async (_fake, client, clock) => {
    const staple = new Uint8Array([0x30, 0x00]);
    let delivered = 0;
    client.onReconnect(async () => {
      await client.setOcspResponse("/etc/haproxy/a.pem", staple).then(() => delivered++, () => {});
    });
    await assert.rejects(client.setOcspResponse("/etc/haproxy/a.pem", staple), SocketError);
    const delays = [...clock.pending()];
    for (let i = 0; i < 4; i++) {
      const next = clock.nextTimer((delay) => delay !== 10_000 && delay !== 5000);
      await clock.advance(delays.at(-1)!); // connects, the listener pushes, HAProxy hangs up
      delays.push(await next);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000]);
    assert.equal(delivered, 0);
  });
});

Deno.test("a connection that answered a reload check starts the backoff at 1 s again", async () => {
  let drop = false;
  await withFake((_line, _reply, hangUp) => {
    if (drop) hangUp();
  }, async (fake, client, clock) => {
    drop = true;
    await assert.rejects(client.command("show ssl cert"), SocketError);
    const retry = clock.nextTimer((delay) => delay === 2000);
    await clock.advance(1000);
    await client.command("show ssl cert").catch(() => {}); // dropped at once: 2 s next
    await retry;
    drop = false;
    const connected = reconnected(client);
    await clock.advance(2000);
    await connected;
    const before = fake.connections().accepted;
    const rearmed = clock.nextTimer((delay) => delay === 5000);
    await clock.advance(5000); // the reload check: show info, answered
    await rearmed;
    drop = true;
    const after = clock.nextTimer((delay) => delay !== 10_000 && delay !== 5000);
    await assert.rejects(client.command("show ssl cert"), SocketError);
    assert.equal(await after, 1000);
    assert.equal(fake.connections().accepted, before);
  });
});

Deno.test("a staple larger than MAX_STAPLE_BYTES is refused without sending anything", async () => {
  await withFake(updated, async (fake, client) => {
    await client.connect();
    const big = new Uint8Array(MAX_STAPLE_BYTES + 1);
    await assert.rejects(client.setOcspResponse("/etc/haproxy/a.pem", big), (err: unknown) => {
      assert.ok(err instanceof StapleNotSentError);
      assert.equal(err.kind, "StapleAdderBadResponse");
      assert.equal(
        err.message,
        `/etc/haproxy/a.pem: staple not sent to HAProxy: the OCSP response is ${
          MAX_STAPLE_BYTES + 1
        } bytes, more than the ${MAX_STAPLE_BYTES} HAProxy's CLI surely takes (a padded ` +
          `response?); HAProxy keeps its current staple`,
      );
      return true;
    });
    assert.equal(fake.received(), "prompt\nset timeout cli 86400\n");
    assert.equal(client.status, "connected");
    // The largest allowed goes through.
    assert.equal(
      await client.setOcspResponse("/etc/haproxy/a.pem", new Uint8Array(MAX_STAPLE_BYTES)),
      "updated",
    );
  });
});

Deno.test("a bootstrap 'set ssl cert' too long for HAProxy's buffer (a long path) is not sent", async () => {
  const longPath = `/etc/haproxy/${"d".repeat(4000)}/a.pem`;
  await withFake(async (line, reply) => {
    if (line === "") {
      await reply(
        "+ + OCSP single response: Certificate ID does not match any certificate or issuer.\n",
      );
    }
    if (line === "show ssl cert") await reply(`# filename\n${longPath}\n`);
  }, async (fake, client) => {
    await assert.rejects(
      client.setOcspResponse(longPath, new Uint8Array(MAX_STAPLE_BYTES)),
      (err: unknown) => {
        assert.ok(err instanceof StapleNotSentError);
        assert.match(err.reason, /'set ssl cert' with this 10000-byte response and path would be/);
        return true;
      },
    );
    assert.doesNotMatch(fake.received(), /set ssl cert/);
    assert.equal(client.status, "connected");
  });
});

Deno.test("encodeCommand() refuses a command longer than HAProxy's default buffer takes", () => {
  const fits = "A".repeat(MAX_COMMAND_BYTES - "set ssl ocsp-response <<\n".length - 2);
  assert.equal(encodeCommand("set ssl ocsp-response", fits).length, MAX_COMMAND_BYTES);
  assert.throws(
    () => encodeCommand("set ssl ocsp-response", `${fits}A`),
    new RangeError(
      "Cannot send command: it is 16384 bytes, more than the 16383 HAProxy's CLI reads with the default tune.bufsize",
    ),
  );
});

Deno.test("a worker that says it is stopping (a reload) is left at once for a new connection, and listeners run", async () => {
  let stopping = false;
  await withFake(updated, async (fake, client, clock) => {
    await client.setOcspResponse("/etc/haproxy/a.pem", new Uint8Array([1]));
    assert.equal(fake.connections().open, 1);
    const rearmed = clock.nextTimer((delay) => delay === 5000);
    await clock.advance(5000); // a check while nothing changed: same connection
    await rearmed;
    assert.match(fake.received(), /show info\n$/);
    assert.equal(fake.connections().accepted, 1);

    stopping = true;
    const moved = reconnected(client);
    await clock.advance(5000);
    await moved;
    stopping = false;
    assert.equal(fake.connections().accepted, 2);
    await until(() => fake.connections().open === 1, "the old connection to be closed");
    assert.equal(client.status, "connected");
    assert.equal(
      await client.setOcspResponse("/etc/haproxy/a.pem", new Uint8Array([2])),
      "updated",
    );
  }, { showInfo: () => `Name: HAProxy\nPid: 26072\nStopping: ${stopping ? 1 : 0}\n` });
});

Deno.test("a socket path that now names another socket is noticed before the next command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-fake-" });
  const path = `${dir}/admin.sock`;
  const old = startFakeHaproxy(dir, updated, { path });
  const clock = new WatchedClock();
  const client = new HaproxyRuntimeClient({ transport: "unix", path }, { clock });
  let fresh: FakeHaproxy | undefined;
  try {
    await client.setOcspResponse("/etc/haproxy/a.pem", new Uint8Array([1]));
    // A new process binds a new socket and renames it over the path, as
    // HAProxy does outside master-worker mode; the old one still answers.
    fresh = startFakeHaproxy(dir, updated, { path: `${dir}/.new.sock` });
    await Deno.rename(`${dir}/.new.sock`, path);
    let reconnects = 0;
    client.onReconnect(() => {
      reconnects++;
    });
    assert.equal(
      await client.setOcspResponse("/etc/haproxy/a.pem", new Uint8Array([2])),
      "updated",
    );
    assert.match(
      fresh.received(),
      /^prompt\nset timeout cli 86400\nset ssl ocsp-response <<\nAg==\n\n$/,
    );
    assert.doesNotMatch(old.received(), /Ag==/);
    await until(() => old.connections().open === 0, "the old connection to be closed");
    assert.equal(reconnects, 1);
  } finally {
    await client.close();
    await old.close();
    await fresh?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an idle connection is checked every reloadCheckMs, with one timer and no other traffic", async () => {
  await withFake(updated, async (fake, client, clock) => {
    await client.connect();
    assert.deepEqual(clock.pending(), [5000]);
    for (let i = 1; i <= 3; i++) {
      const next = clock.nextTimer((delay) => delay === 5000);
      await clock.advance(5000);
      await next;
      assert.equal(fake.received().split("show info\n").length - 1, i);
      assert.deepEqual(clock.pending(), [5000]);
    }
  });
});

Deno.test("parseShowInfo() reads the pid and the stopping flag of HAProxy 2.6 and 3.0", () => {
  assert.deepEqual(
    parseShowInfo("Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nPid: 26072\nStopping: 1\n"),
    { pid: 26072, stopping: true },
  );
  assert.deepEqual(parseShowInfo("Name: HAProxy\nPid: 27466\nStopping: 0\n"), {
    pid: 27466,
    stopping: false,
  });
  assert.deepEqual(parseShowInfo("Unknown command."), { pid: undefined, stopping: false });
});
