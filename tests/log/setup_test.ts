import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { ConfigError } from "../../src/errors/mod.ts";
import { setupLogging, shutdownLogging, verbosityToLevel } from "../../src/log/mod.ts";

const NO_ENV = { get: () => undefined };
const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
const logger = getLogger(["stapled", "test"]);

/** Logs one message per level and returns what reached stderr. */
async function logEveryLevel(verbosity: number): Promise<string[]> {
  const lines: string[] = [];
  await setupLogging({ verbosity, env: NO_ENV, writeStderr: (line) => lines.push(line) });
  try {
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    logger.fatal("c");
  } finally {
    await shutdownLogging();
  }
  return lines.map((line) => line.replace(new RegExp(`^${TIME} `), "").trimEnd());
}

Deno.test("setupLogging() shows the levels each verbosity selects", async () => {
  const all = ["DEBUG    d", "INFO     i", "WARNING  w", "ERROR    e", "CRITICAL c"];
  for (const verbosity of [0, 1, 2, 3, 4]) {
    assert.deepEqual(await logEveryLevel(verbosity), all.slice(4 - verbosity), `-v ${verbosity}`);
  }
  assert.deepEqual(await logEveryLevel(9), all);
});

Deno.test("setupLogging() defaults to info", async () => {
  const lines: string[] = [];
  await setupLogging({ env: NO_ENV, writeStderr: (line) => lines.push(line) });
  logger.debug("hidden");
  logger.info("shown");
  await shutdownLogging();
  assert.equal(lines.length, 1);
  assert.match(lines[0], / INFO +shown\n$/);
});

Deno.test("verbosityToLevel() rejects a negative or fractional verbosity", () => {
  assert.equal(verbosityToLevel(0), "fatal");
  assert.throws(() => verbosityToLevel(-1), RangeError);
  assert.throws(() => verbosityToLevel(1.5), RangeError);
});

Deno.test("console lines are time, level, [certificate] and message", async () => {
  const lines: string[] = [];
  await setupLogging({ env: NO_ENV, writeStderr: (line) => lines.push(line) });
  logger.warn("Staple for {serial} expires soon", { cert: "/etc/ssl/a.pem", serial: "0a1b" });
  logger.info("No certificate here");
  logger.error("Failed: {error}", { error: new TypeError("boom") });
  await shutdownLogging();
  assert.equal(lines.length, 3);
  assert.match(
    lines[0],
    new RegExp(`^${TIME} WARNING  \\[/etc/ssl/a.pem\\] Staple for 0a1b expires soon\\n$`),
  );
  assert.match(lines[1], new RegExp(`^${TIME} INFO     No certificate here\\n$`));
  assert.match(lines[2], new RegExp(`^${TIME} ERROR    Failed: TypeError: boom\\n$`));
});

Deno.test("under systemd (JOURNAL_STREAM set) lines carry <N> and no timestamp", async () => {
  const lines: string[] = [];
  const env = { get: (name: string) => name === "JOURNAL_STREAM" ? "8:12345" : undefined };
  await setupLogging({ verbosity: 4, env, writeStderr: (line) => lines.push(line) });
  logger.debug("d", { cert: "/c.pem" });
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  logger.fatal("c");
  await shutdownLogging();
  assert.deepEqual(lines, [
    "<7>DEBUG [/c.pem] d\n",
    "<6>INFO i\n",
    "<4>WARNING w\n",
    "<3>ERROR e\n",
    "<2>CRITICAL c\n",
  ]);
});

Deno.test("quiet writes nothing to stderr, not even LogTape's own notices", async () => {
  const lines: string[] = [];
  await setupLogging({ quiet: true, env: NO_ENV, writeStderr: (line) => lines.push(line) });
  logger.fatal("c");
  await shutdownLogging();
  assert.deepEqual(lines, []);
});

Deno.test("setupLogging() can be called again and replaces the earlier setup", async () => {
  const first: string[] = [];
  const second: string[] = [];
  await setupLogging({ verbosity: 1, env: NO_ENV, writeStderr: (line) => first.push(line) });
  logger.warn("dropped");
  await setupLogging({ verbosity: 2, env: NO_ENV, writeStderr: (line) => second.push(line) });
  logger.warn("kept");
  await shutdownLogging();
  logger.fatal("after shutdown");
  assert.deepEqual(first, []);
  assert.equal(second.length, 1);
  assert.match(second[0], /WARNING {2}kept\n$/);
});

Deno.test("logdir writes stapled.log and rotates it by size", async () => {
  const dir = await Deno.makeTempDir();
  const logdir = `${dir}/new/logs`;
  try {
    await setupLogging({ quiet: true, logdir, maxFileSize: 400, maxFiles: 3, env: NO_ENV });
    for (let i = 0; i < 40; i++) logger.info("message number {i}", { i, cert: "/a.pem" });
    await shutdownLogging();
    const names = [];
    for await (const entry of Deno.readDir(logdir)) names.push(entry.name);
    assert.deepEqual(names.sort(), [
      "stapled.log",
      "stapled.log.1",
      "stapled.log.2",
      "stapled.log.3",
    ]);
    for (const name of names) assert.ok((await Deno.stat(`${logdir}/${name}`)).size <= 400, name);
    const current = (await Deno.readTextFile(`${logdir}/stapled.log`)).trimEnd().split("\n");
    assert.match(current.at(-1)!, new RegExp(`^${TIME} INFO     \\[/a.pem\\] message number 39$`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setupLogging() fails with a ConfigError when the log directory cannot be made", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    await assert.rejects(
      setupLogging({ quiet: true, logdir: `${dir}/file/logs`, env: NO_ENV }),
      (err: unknown) =>
        err instanceof ConfigError && err.file === `${dir}/file/logs` &&
        err.reason.startsWith("cannot create the log directory: "),
    );
  } finally {
    await shutdownLogging();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setupLogging() rejects a non-positive rotation size", async () => {
  await assert.rejects(setupLogging({ maxFileSize: 0, env: NO_ENV }), RangeError);
  await assert.rejects(setupLogging({ maxFiles: -1, env: NO_ENV }), RangeError);
});

Deno.test("setupLogging() fails with a ConfigError when stapled.log cannot be opened", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/stapled.log`);
    await assert.rejects(
      setupLogging({ quiet: true, logdir: `${dir}/`, env: NO_ENV }),
      (err: unknown) =>
        err instanceof ConfigError && err.file === `${dir}/stapled.log` &&
        err.reason.startsWith("cannot open the log file: "),
    );
  } finally {
    await shutdownLogging();
    await Deno.remove(dir, { recursive: true });
  }
});
