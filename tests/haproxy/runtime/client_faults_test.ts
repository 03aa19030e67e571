import assert from "node:assert/strict";
import { SocketError, StapleAdderBadResponse } from "../../../src/errors/mod.ts";
import { HaproxyRuntimeClient } from "../../../src/haproxy/runtime/mod.ts";
import { WatchedClock } from "./_watched_clock.ts";
import { type FakeBehaviour, type FakeHaproxy, startFakeHaproxy } from "./_fake_haproxy.ts";

async function withFake(
  behaviour: FakeBehaviour,
  fn: (fake: FakeHaproxy, client: HaproxyRuntimeClient, clock: WatchedClock) => Promise<void>,
  options: { answerHandshake?: boolean } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-fake-" });
  const fake = startFakeHaproxy(dir, behaviour, options);
  const clock = new WatchedClock();
  const client = new HaproxyRuntimeClient({ transport: "unix", path: fake.path }, { clock });
  try {
    await fn(fake, client, clock);
  } finally {
    await client.close();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function silent(): void {}

Deno.test("the client sends prompt, set timeout cli and the staple as a payload, byte for byte", async () => {
  const replies: Record<string, string> = { "": "+ + OCSP Response updated!\n" };
  await withFake(async (line, reply) => {
    if (line in replies) await reply(replies[line]);
  }, async (fake, client) => {
    const der = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]);
    assert.equal(await client.setOcspResponse("/etc/haproxy/a.pem", der), "updated");
    assert.equal(
      fake.received(),
      "prompt\nset timeout cli 86400\nset ssl ocsp-response <<\nMAMKAQA=\n\n",
    );
  });
});

Deno.test("a keepalive option sets HAProxy's CLI timeout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-fake-" });
  const fake = startFakeHaproxy(dir, silent);
  const client = new HaproxyRuntimeClient({ transport: "unix", path: fake.path }, {
    keepaliveSeconds: 3600,
  });
  try {
    await client.connect();
    assert.equal(fake.received(), "prompt\nset timeout cli 3600\n");
  } finally {
    await client.close();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a command HAProxy never answers fails with SocketError once the deadline passes", async () => {
  await withFake(silent, async (fake, client, clock) => {
    await client.connect();
    const reply = client.command("show ssl cert");
    await fake.nextCommand();
    await clock.advance(9999);
    assert.equal(client.status, "connected");
    await clock.advance(1);
    await assert.rejects(reply, (err: unknown) => {
      assert.ok(err instanceof SocketError);
      assert.equal(err.message, `${fake.path}: no reply to 'show ssl cert' within 10 s`);
      return true;
    });
    assert.equal(client.status, "reconnecting");
    assert.deepEqual(clock.pending(), [1000]);
  });
});

Deno.test("a socket that never answers the handshake fails to connect at the deadline", async () => {
  await withFake(silent, async (fake, client, clock) => {
    const connecting = client.connect();
    await fake.nextCommand(); // "prompt", unanswered
    await clock.advance(10_000);
    await assert.rejects(connecting, (err: unknown) => {
      assert.ok(err instanceof SocketError);
      assert.equal(err.reason, "cannot connect: no answer within 10 s");
      return true;
    });
    assert.equal(client.status, "reconnecting");
  }, { answerHandshake: false });
});

Deno.test("a reply cut off by HAProxy closing the connection is a SocketError", async () => {
  await withFake(async (line, reply, hangUp) => {
    if (line === "") {
      await reply("+ + OCSP Resp", { prompt: false });
      hangUp();
    }
  }, async (_fake, client) => {
    await assert.rejects(
      client.setOcspResponse("/etc/haproxy/a.pem", new Uint8Array([1])),
      (err: unknown) => {
        assert.ok(err instanceof SocketError);
        assert.equal(err.reason, "'set ssl ocsp-response' failed: connection closed by HAProxy");
        return true;
      },
    );
    assert.equal(client.status, "reconnecting");
  });
});

Deno.test("an unexpected reply to set ssl ocsp-response is a StapleAdderBadResponse", async () => {
  await withFake(async (line, reply) => {
    if (line === "") await reply("+ + Permission denied\n");
  }, async (_fake, client) => {
    await assert.rejects(
      client.setOcspResponse("/etc/haproxy/a.pem", new Uint8Array([1])),
      new StapleAdderBadResponse("/etc/haproxy/a.pem", "Permission denied"),
    );
    assert.equal(client.status, "connected");
  });
});

Deno.test("a missing socket fails with SocketError and is retried after 1, 2, 4 ... 60 s", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-fake-" });
  const path = `${dir}/fake.sock`; // where startFakeHaproxy() listens, later
  const clock = new WatchedClock();
  const client = new HaproxyRuntimeClient({ transport: "unix", path }, { clock });
  let reconnects = 0;
  client.onReconnect(() => {
    reconnects++;
  });
  try {
    await assert.rejects(client.showSslCerts(), (err: unknown) => {
      assert.ok(err instanceof SocketError);
      assert.match(err.message, new RegExp(`^${path}: cannot connect: No such file or directory`));
      return true;
    });
    const delays = clock.pending();
    for (let i = 0; i < 8; i++) {
      const retry = clock.nextTimer((delay) => delay !== 10_000); // not a connect deadline
      await clock.advance(delays.at(-1)!);
      delays.push(await retry);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    // while waiting, commands fail at once and name the next attempt
    await assert.rejects(client.command("show info"), (err: unknown) => {
      assert.ok(err instanceof SocketError);
      assert.match(err.reason, /No such file or directory.*\(next attempt within 60 s\)$/);
      return true;
    });

    // the socket appears: the next attempt connects and the listener runs
    const fake = startFakeHaproxy(dir, silent);
    try {
      const connected = new Promise<void>((resolve) => client.onReconnect(resolve));
      await clock.advance(60_000);
      await connected;
      assert.equal(reconnects, 1);
      assert.equal(client.status, "connected");
    } finally {
      await client.close();
      await fake.close();
    }
  } finally {
    await client.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("close() stops the retries and later commands fail", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-fake-" });
  const clock = new WatchedClock();
  const client = new HaproxyRuntimeClient(
    { transport: "unix", path: `${dir}/absent.sock` },
    { clock },
  );
  try {
    await assert.rejects(client.connect(), SocketError);
    assert.deepEqual(clock.pending(), [1000]);
    await client.close();
    assert.deepEqual(clock.pending(), []);
    assert.equal(client.status, "closed");
    await assert.rejects(
      client.command("show info"),
      new SocketError(client.name, "the client is closed"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a refused TCP connection is a SocketError naming host and port", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const clock = new WatchedClock();
  const client = new HaproxyRuntimeClient({ transport: "tcp", hostname: "127.0.0.1", port }, {
    clock,
  });
  try {
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof SocketError);
      assert.match(
        err.message,
        new RegExp(`^127\\.0\\.0\\.1:${port}: cannot connect: .*refused`, "i"),
      );
      return true;
    });
  } finally {
    await client.close();
  }
});

Deno.test("the client refuses durations that are not positive integers", () => {
  const address = { transport: "unix", path: "/run/haproxy/admin.sock" } as const;
  assert.throws(
    () => new HaproxyRuntimeClient(address, { commandTimeoutMs: 0 }),
    new RangeError("Cannot create HAProxy client: commandTimeoutMs must be a positive integer"),
  );
  assert.throws(() => new HaproxyRuntimeClient(address, { keepaliveSeconds: 1.5 }), RangeError);
});

Deno.test("command() refuses a line break in the command and an empty line in the payload", () => {
  const client = new HaproxyRuntimeClient({ transport: "unix", path: "/nonexistent.sock" });
  assert.throws(() => client.command("show info\nshow version"), RangeError);
  assert.throws(
    () => client.command("set ssl ocsp-response", { payload: "AAAA\n\nshow info" }),
    RangeError,
  );
});

Deno.test("a HAProxy without 'set ssl cert' (before 2.2) gets the transaction bytes and its help is quoted short", async () => {
  const payloadReplies = [
    "+ + OCSP single response: Certificate ID does not match any certificate or issuer.\n",
    "+ + Unknown command. Please enter one of the following commands only:\n" +
    "  help           : this message\n  prompt         : toggle interactive mode with prompt\n" +
    "  quit           : disconnect\n  show info      : report information about the running process\n",
  ];
  await withFake(async (line, reply) => {
    if (line === "") await reply(payloadReplies.shift()!);
    if (line === "show ssl cert") await reply("# filename\n/c/a b.pem\n");
  }, async (fake, client) => {
    await assert.rejects(
      client.setOcspResponse("/c/a b.pem", new Uint8Array([1])),
      new StapleAdderBadResponse(
        "/c/a b.pem",
        "Unknown command. Please enter one of the following commands only:\n" +
          "  help           : this message\n  prompt         : toggle interactive mode with prompt\n" +
          "  quit           : disconnect\n...",
      ),
    );
    assert.equal(
      fake.received(),
      "prompt\nset timeout cli 86400\nset ssl ocsp-response <<\nAQ==\n\nshow ssl cert\n" +
        "set ssl cert /c/a\\ b.pem.ocsp <<\nAQ==\n\n",
    );
  });
});
