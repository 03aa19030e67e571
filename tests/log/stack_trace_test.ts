import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { dumpStackTrace, setupLogging, shutdownLogging } from "../../src/log/mod.ts";

const NOW = () => new Date("2026-01-02T03:04:05.678Z");

Deno.test("dumpStackTrace() writes the context, stack and causes to a file named by time and pid", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const err = new Error("outer", { cause: new RangeError("inner") });
    const path = await dumpStackTrace(dir, "renewing /etc/ssl/a.pem", err, { now: NOW, pid: 42 });
    assert.equal(path, `${dir}/stapled-trace-20260102T030405-678Z-42.txt`);
    const text = await Deno.readTextFile(path!);
    assert.ok(text.startsWith(
      "stapled: unexpected exception\ntime: 2026-01-02T03:04:05.678Z\n" +
        `context: renewing /etc/ssl/a.pem\ndeno: ${Deno.version.deno}\n\nError: outer\n    at `,
    ));
    assert.match(text, /\n\ncaused by:\nRangeError: inner\n {4}at /);
    assert.equal((await Deno.stat(path!)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dumpStackTrace() does not overwrite a trace from the same moment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await dumpStackTrace(dir, "a", new Error("1"), { now: NOW, pid: 7 });
    const second = await dumpStackTrace(dir, "b", "a thrown string", { now: NOW, pid: 7 });
    assert.equal(first, `${dir}/stapled-trace-20260102T030405-678Z-7.txt`);
    assert.equal(second, `${dir}/stapled-trace-20260102T030405-678Z-7-2.txt`);
    assert.match(await Deno.readTextFile(second!), /\n\nthrown value: "a thrown string"\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dumpStackTrace() returns undefined and logs why when it cannot write", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  await setupLogging({ env: { get: () => undefined }, writeStderr: (line) => lines.push(line) });
  try {
    const path = await dumpStackTrace(`${dir}/missing`, "x", new Error("e"), { now: NOW });
    assert.equal(path, undefined);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      new RegExp(
        ` ERROR +Cannot write a stack trace to ${dir}/missing: .*; make the directory writable\\n$`,
      ),
    );
  } finally {
    await shutdownLogging();
    await Deno.remove(dir, { recursive: true });
  }
  getLogger(["stapled"]).error("not configured any more");
  assert.equal(lines.length, 1);
});
