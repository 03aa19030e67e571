/**
 * The option table is the one place options are declared: ranges are
 * enforced where the value is given (command line or config file), and the
 * parser's help, the config file schema and the defaults come from it.
 */
import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/config/command_line.ts";
import { CONFIG_SCHEMA, resolveConfig } from "../../src/config/config.ts";
import { parseConfigFile } from "../../src/config/config_file.ts";
import { DEFAULTS } from "../../src/config/defaults.ts";
import { MAX_TIMER_SECONDS, OPTIONS, type OptionSpec } from "../../src/config/options.ts";
import { ConfigError } from "../../src/errors/mod.ts";
import { runStapled } from "../_helpers/run_stapled.ts";

const quiet = { out: () => {}, err: () => {} };
const parse = (args: string[]) => parseCommandLine(args, quiet);
const SPECS: readonly OptionSpec[] = OPTIONS;

function refusedOnCommandLine(args: string[], message: string): void {
  assert.throws(() => parse(args), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.message, message);
    return true;
  });
}

Deno.test("--haproxy-socket-keepalive 0 is refused by stapled at once: exit 2, one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-keepalive-" });
  try {
    const run = await runStapled(
      ["--one-off", "-p", dir, "--haproxy-socket-keepalive", "0"],
      { cwd: dir, env: { HOME: dir } },
    );
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      run.stderr,
      "stapled: --haproxy-socket-keepalive must be 1 to 2147483 seconds, not 0" +
        " (e.g. --haproxy-socket-keepalive 86400)\n",
    );
    assert.equal(run.stdout, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a config file's haproxy-socket-keepalive=0 is refused with file:line", () => {
  assert.throws(
    () => parseConfigFile("[haproxy]\nhaproxy-socket-keepalive=0\n", "/x.conf", CONFIG_SCHEMA),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(
        err.message,
        "/x.conf:2: haproxy-socket-keepalive must be 1 to 2147483 seconds, got 0" +
          " (e.g. haproxy-socket-keepalive=86400)",
      );
      return true;
    },
  );
});

Deno.test("a duration longer than a timer can wait is refused (--timeout, -r, keepalive)", () => {
  // AbortSignal.timeout and setTimeout fire at once beyond 2^31 - 1 ms.
  const beyond = String(MAX_TIMER_SECONDS + 1);
  refusedOnCommandLine(
    ["--timeout", beyond],
    `--timeout must be 0.001 to 2147483 seconds, not ${beyond} (e.g. --timeout 10)`,
  );
  refusedOnCommandLine(
    ["-r", beyond],
    `--refresh-interval must be 1 to 2147483 seconds, not ${beyond} (e.g. -r 60)`,
  );
  assert.equal(parse(["--timeout", String(MAX_TIMER_SECONDS)]).values.timeout, MAX_TIMER_SECONDS);
  assert.throws(
    () => parseConfigFile(`timeout=${beyond}\n`, "/x.conf", CONFIG_SCHEMA),
    /\/x\.conf:1: timeout must be 0\.001 to 2147483 seconds, got 2147484 \(e\.g\. timeout=10\)/,
  );
});

Deno.test("--timeout 0 and --renewal-threads 0 are refused on the command line, not later", () => {
  refusedOnCommandLine(
    ["--timeout", "0"],
    "--timeout must be 0.001 to 2147483 seconds, not 0 (e.g. --timeout 10)",
  );
  refusedOnCommandLine(["-t", "0"], "--renewal-threads must be at least 1, not 0 (e.g. -t 2)");
  refusedOnCommandLine(
    ["--verbosity", "5"],
    "--verbosity must be 0 to 4, not 5 (e.g. --verbosity 3)",
  );
});

Deno.test("a whole-number option refuses a number beyond the safe integers", () => {
  // 1e20 is an integer to Number.isInteger but no scheduler can count to it.
  refusedOnCommandLine(
    ["-t", "1e20"],
    '--renewal-threads takes a whole number, not "1e20" (e.g. -t 2)',
  );
  assert.throws(
    () => parseConfigFile(`renewal-threads=${"9".repeat(20)}\n`, "/x.conf", CONFIG_SCHEMA),
    /expects a whole number/,
  );
});

Deno.test("values given to resolveConfig directly are held to the same ranges", () => {
  assert.throws(
    () => resolveConfig([{ "haproxy-socket-keepalive": 0 }]),
    /--haproxy-socket-keepalive must be 1 to 2147483 seconds, not 0/,
  );
  assert.throws(() => resolveConfig([{ "minimum-validity": -1 }]), /must be 0 to 31536000/);
});

Deno.test("every number option has a range that holds its default", () => {
  for (const spec of SPECS) {
    if (spec.type !== "number" && spec.type !== "integer") continue;
    assert.ok(spec.range, `--${spec.name} has no range`);
    assert.equal(typeof spec.default, "number", `--${spec.name} has no default`);
    const value = spec.default as number;
    assert.ok(value >= spec.range.min && value <= (spec.range.max ?? Infinity), spec.name);
  }
});

Deno.test("--help shows each option's default as the table declares it", () => {
  let help = "";
  parseCommandLine(["--help"], { out: (s) => (help += s), err: () => {} });
  const flat = help.replace(/\s+/g, " ");
  for (const spec of SPECS) {
    assert.ok(flat.includes(`--${spec.name}`), `--${spec.name} missing from --help`);
    if (typeof spec.default === "number" || (typeof spec.default === "string" && spec.default)) {
      assert.ok(flat.includes(`(default: ${spec.default})`), `default of --${spec.name}`);
    }
  }
  assert.ok(flat.includes("(default DIR: /var/log/stapled/)"));
});

Deno.test("the config file takes every option of the table but the command-line-only ones", () => {
  assert.deepEqual(
    Object.keys(CONFIG_SCHEMA).sort(),
    SPECS.filter((o) => !o.cliOnly).map((o) => o.name).sort(),
  );
  assert.deepEqual(
    Object.keys(CONFIG_SCHEMA).filter((k) => k === "config" || k === "check-config"),
    [],
  );
});

Deno.test("the typed defaults are the resolved configuration of no settings", () => {
  const resolved = resolveConfig([]);
  for (const [field, value] of Object.entries(DEFAULTS)) {
    assert.deepEqual(resolved[field as keyof typeof resolved], value, field);
  }
  assert.equal(DEFAULTS.haproxySocketKeepalive, 86400);
  assert.deepEqual(DEFAULTS.fileExtensions, ["crt", "pem", "cer"]);
  assert.equal(DEFAULTS.watch, true);
  assert.equal(DEFAULTS.recycle, true);
});

/** Parameter names whose default is an option's default (in seconds or ms). */
const OPTION_PARAMETER_REGEXP =
  /\b(minimumValidity|refreshInterval|renewalThreads|keepaliveSeconds|timeoutMs|timeout|verbosity|recycle|goodOnly|nonce|watch)\s*(\?\?|=(?!=))\s*[\d(]/;

/** Constants named as an option's default. */
const DEFAULT_CONSTANT_REGEXP =
  /\bDEFAULT_(VERBOSITY|EXTENSIONS|FILE_EXTENSIONS|TIMEOUT|KEEPALIVE|MINIMUM_VALIDITY|REFRESH_INTERVAL|RENEWAL_THREADS)\b[^=]*=\s*[\d[]/;

Deno.test("no option default is written as a literal outside src/config", async () => {
  const offenders: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory && path !== SRC_CONFIG) await walk(path);
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      const lines = (await Deno.readTextFile(path)).split("\n");
      for (const [i, line] of lines.entries()) {
        if (/^\s*(\*|\/\/)/.test(line)) continue;
        const literal = OPTION_PARAMETER_REGEXP.test(line) || DEFAULT_CONSTANT_REGEXP.test(line);
        if (literal && !ALLOWED.some((a) => line.includes(a))) {
          offenders.push(`${path.slice(SRC.length + 1)}:${i + 1}: ${line.trim()}`);
        }
      }
    }
  }
  await walk(SRC);
  assert.deepEqual(offenders, []);
});

const SRC = new URL("../../src", import.meta.url).pathname;
const SRC_CONFIG = `${SRC}/config`;
/** Defaults that only look like option defaults. */
const ALLOWED = [
  // --on-update's command timeout is no option (60 s, src/service/on_update.ts).
  "timeoutMs = 60_000",
];
