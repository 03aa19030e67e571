import assert from "node:assert/strict";
import { askControlSocket, startControlSocket } from "../../src/service/control_socket.ts";
import { SocketError } from "../../src/errors/mod.ts";
import { hasCommand } from "../_helpers/net.ts";

const canSwitchUser = Deno.uid() === 0 && await hasCommand("setpriv") && await hasCommand("socat");

async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-control-" });
  // Traversable by everyone, so only the socket's own mode keeps others out.
  await Deno.chmod(dir, 0o755);
  return dir;
}

Deno.test('startControlSocket() answers {"get":"status"} with the snapshot, one request per connection', async () => {
  const dir = await tempDir();
  let calls = 0;
  const server = await startControlSocket({
    path: `${dir}/run/control.sock`,
    status: () => ({ format: 1, calls: ++calls }),
  });
  try {
    assert.deepEqual(await askControlSocket(server.path), { format: 1, calls: 1 });
    assert.deepEqual(await askControlSocket(server.path), { format: 1, calls: 2 });
    assert.deepEqual(
      await askControlSocket(server.path, { request: { get: "nothing" } as never }),
      {
        error: 'unknown request "{\\"get\\":\\"nothing\\"}"; try {"get":"status"}',
      },
    );
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the control socket is created with mode 0600 and leaves no temp directory", async () => {
  const dir = await tempDir();
  const server = await startControlSocket({ path: `${dir}/control.sock`, status: () => ({}) });
  try {
    const info = await Deno.lstat(server.path);
    assert.ok(info.isSocket);
    assert.equal(info.mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["control.sock"]);
  } finally {
    await server.close();
  }
  assert.deepEqual([...Deno.readDirSync(dir)], [], "close() removes the socket");
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "a connection from another uid (nobody) to the control socket is refused; root's is answered",
  ignore: !canSwitchUser,
}, async () => {
  const dir = await tempDir();
  const server = await startControlSocket({
    path: `${dir}/control.sock`,
    status: () => ({ secret: 1 }),
  });
  const asNobody = (path: string) =>
    new Deno.Command("setpriv", {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "socat",
        "-t1",
        "-",
        `UNIX-CONNECT:${path}`,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
  const run = async (path: string) => {
    const child = asNobody(path).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode('{"get":"status"}\n'));
    await w.close();
    const out = await child.output();
    return {
      ok: out.success,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  };
  // A control: the same user reaches a 0666 socket in the same directory, so
  // the refusal below comes from the control socket's mode.
  const open = Deno.listen({ transport: "unix", path: `${dir}/open.sock` });
  await Deno.chmod(`${dir}/open.sock`, 0o666);
  const accepted = (async () => {
    const c = await open.accept();
    // Read the request before answering, so socat's write never meets a closed socket.
    const buf = new Uint8Array(64);
    let got = "";
    while (!got.includes("\n")) {
      const n = await c.read(buf);
      if (n === null) break;
      got += new TextDecoder().decode(buf.subarray(0, n));
    }
    await c.write(new TextEncoder().encode("hello\n"));
    c.close();
  })();
  try {
    const control = await run(`${dir}/open.sock`);
    await accepted;
    assert.equal(control.stdout, "hello\n", control.stderr);
    const refused = await run(server.path);
    assert.equal(refused.ok, false);
    assert.equal(refused.stdout, "");
    assert.match(refused.stderr, /Permission denied/);
    assert.deepEqual(await askControlSocket(server.path), { secret: 1 }, "root still connects");
  } finally {
    open.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("askControlSocket() returns undefined when no daemon listens: no file, or a stale socket", async () => {
  const dir = await tempDir();
  try {
    assert.equal(await askControlSocket(`${dir}/none.sock`), undefined);
    // Deno removes a socket file when its listener closes: move it away first.
    const stale = Deno.listen({ transport: "unix", path: `${dir}/bound.sock` });
    await Deno.rename(`${dir}/bound.sock`, `${dir}/stale.sock`);
    stale.close();
    assert.ok((await Deno.lstat(`${dir}/stale.sock`)).isSocket);
    assert.equal(await askControlSocket(`${dir}/stale.sock`), undefined);
    // A stale socket is replaced by a new daemon.
    const server = await startControlSocket({ path: `${dir}/stale.sock`, status: () => 7 });
    assert.equal(await askControlSocket(server.path), 7);
    await server.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startControlSocket() refuses a path where another daemon listens, or that is not a socket", async () => {
  const dir = await tempDir();
  const server = await startControlSocket({ path: `${dir}/c.sock`, status: () => 1 });
  try {
    await assert.rejects(startControlSocket({ path: `${dir}/c.sock`, status: () => 2 }), {
      name: "SocketError",
      message: `${dir}/c.sock: another stapled already listens on the control socket`,
    });
    await Deno.writeTextFile(`${dir}/file`, "x");
    await assert.rejects(startControlSocket({ path: `${dir}/file`, status: () => 2 }), SocketError);
    assert.equal(await Deno.readTextFile(`${dir}/file`), "x");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("askControlSocket() throws a SocketError when the daemon does not answer in time", async () => {
  const dir = await tempDir();
  const mute = Deno.listen({ transport: "unix", path: `${dir}/mute.sock` });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of mute) held.push(c);
  })();
  try {
    await assert.rejects(askControlSocket(`${dir}/mute.sock`, { timeoutMs: 50 }), {
      name: "SocketError",
      message: `${dir}/mute.sock: the daemon did not answer within 50 ms`,
    });
  } finally {
    mute.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a large status is delivered whole to a client that reads it slowly but steadily", async () => {
  const dir = await tempDir();
  const big = {
    format: 1,
    certificates: Array.from({ length: 20_000 }, (_, i) => `cert-${i}`.padEnd(100, "x")),
  };
  const server = await startControlSocket({
    path: `${dir}/control.sock`,
    status: () => big,
    timeoutMs: 300,
  });
  try {
    const conn = await Deno.connect({ transport: "unix", path: server.path });
    await conn.write(new TextEncoder().encode('{"get":"status"}\n'));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      await new Promise((r) => setTimeout(r, 20)); // a slow reader: well over 300 ms in all
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    conn.close();
    const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    assert.equal(JSON.parse(text).certificates.length, 20_000);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
