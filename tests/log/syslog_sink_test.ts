import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { exists } from "../_helpers/fs.ts";

const FIXTURE = fileURLToPath(new URL("./_syslog_fixture.ts", import.meta.url));

/** Runs the fixture in a child Deno with `--unstable-net`; returns its pid and JSON output. */
async function runFixture(mode: string, socket: string): Promise<{ pid: number; out: string[] }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-net", "--allow-all", FIXTURE, mode, socket],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  return { pid: child.pid, out: JSON.parse(decoder.decode(stdout)) };
}

Deno.test("the syslog sink sends <PRI>stapled[pid]: lines as unix datagrams", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { pid, out } = await runFixture("receive", `${dir}/log.sock`);
    assert.deepEqual(out, [
      `<30>stapled[${pid}]: INFO [/etc/ssl/a.pem] Renewed the staple`,
      `<28>stapled[${pid}]: WARNING Responder slow`,
      `<26>stapled[${pid}]: CRITICAL Out of disk`,
      `<31>stapled[${pid}]: DEBUG Detail`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the syslog sink reports a socket nobody listens on once, not per record", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { out } = await runFixture("missing", `${dir}/nobody.sock`);
    assert.equal(out.length, 3);
    assert.match(out[0], / INFO +one\n$/);
    assert.match(out[1], / INFO +two\n$/);
    assert.match(out[2], new RegExp(` ERROR +Cannot send to syslog at ${dir}/nobody.sock: `));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("getSyslogSink() asks for --unstable-net when Deno cannot send unix datagrams", async () => {
  // A child Deno without the project's config, so without unstable net.
  const sink = new URL("../../src/log/syslog_sink.ts", import.meta.url).href;
  const script = `import { getSyslogSink } from ${JSON.stringify(sink)};
try { getSyslogSink({ path: "/nonexistent/log" }); console.log("no error"); }
catch (err) { console.log(err.name + ": " + err.message); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  assert.equal(
    decoder.decode(out.stdout).trim(),
    "ConfigError: cannot log to syslog: Deno needs the --unstable-net flag to send unix datagrams",
  );
});

Deno.test("the syslog sink's datagrams reach a non-Deno SOCK_DGRAM listener (socat)", async () => {
  const dir = await Deno.makeTempDir();
  const socket = `${dir}/log.sock`;
  const output = `${dir}/received`;
  const socat = new Deno.Command("socat", {
    args: ["-u", `UNIX-RECV:${socket}`, `OPEN:${output},creat`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitFor(async () => (await exists(socket)) ? true : undefined);
    const { pid } = await runFixture("send", socket);
    const expected =
      `<155>stapled[${pid}]: ERROR [/etc/ssl/b.pem] Cannot reach http://ocsp.example` +
      `<158>stapled[${pid}]: INFO Done`;
    const received = await waitFor(async () => {
      const text = await Deno.readTextFile(output).catch(() => "");
      return text.length >= expected.length ? text : undefined;
    });
    // socat writes the datagrams back to back, without separators.
    assert.equal(received, expected);
  } finally {
    Deno.kill(socat.pid, "SIGTERM");
    await socat.status;
    await Deno.remove(dir, { recursive: true });
  }
});

/** Polls a real peer until `probe` returns a value (at most ~5 s). */
async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail("the peer did not get ready");
}
