import assert from "node:assert/strict";
import {
  type ConfigSchema,
  defaultConfigPaths,
  mergeConfig,
  parseConfigFile,
} from "../../src/config/config_file.ts";
import {
  type ConfigFileContent,
  readConfigFiles,
  readConfigText,
} from "../../src/config/read_config.ts";
import { ConfigError } from "../../src/errors/mod.ts";

/** The options of the original's sample config file, as the CLI declares them. */
const SCHEMA: ConfigSchema = {
  "cert-paths": "list",
  recursive: "boolean",
  "minimum-validity": "integer",
  "refresh-interval": "number",
  "renewal-threads": "integer",
  daemon: "boolean",
  verbosity: "integer",
  logdir: "string",
  syslog: "boolean",
  quiet: "boolean",
  "haproxy-sockets": "list",
  "no-haproxy-sockets": "boolean",
};

/** The original's sample `stapled.conf`, unchanged (note the `[deamon]` typo). */
const SAMPLE = `[certfiles]
; Paths to certificates or directories with certificates
cert-paths=[/etc/haproxy/certs]
; Recursively scan paths
; recursive

[validity]
; Minimum validity of staples in seconds
minimum-validity=7200
; Interval in seconds to refresh the cert files
refresh-interval=60

[deamon]
; Amount of threads for renewing staples
renewal-threads=2
; Daemonise?
; daemon

[logging]
; Verbosity 0-4
verbosity=3
; logdir=/var/log/stapled
; syslog
; quiet

[haproxy]
haproxy-sockets=[/var/run/haproxy/admin.sock]
; no-haproxy-sockets
`;

function parse(text: string): ReturnType<typeof parseConfigFile> {
  return parseConfigFile(text, "/etc/stapled/stapled.conf", SCHEMA);
}

function parseError(text: string): ConfigError {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("parseConfigFile() reads the original's sample file unchanged", () => {
  const { values, warnings } = parse(SAMPLE);
  assert.deepEqual(values, {
    "cert-paths": ["/etc/haproxy/certs"],
    "minimum-validity": 7200,
    "refresh-interval": 60,
    "renewal-threads": 2,
    verbosity: 3,
    "haproxy-sockets": ["/var/run/haproxy/admin.sock"],
  });
  assert.deepEqual(warnings, []);
});

Deno.test("parseConfigFile() accepts =, spaced =, : and a space as separators", () => {
  const { values } = parse(
    "verbosity=1\nminimum-validity = 60\nlogdir: /var/log/x\nrenewal-threads 4\n",
  );
  assert.deepEqual(values, {
    verbosity: 1,
    "minimum-validity": 60,
    logdir: "/var/log/x",
    "renewal-threads": 4,
  });
});

Deno.test("parseConfigFile() accepts _ for - in keys", () => {
  assert.deepEqual(parse("minimum_validity=10\ncert_paths=/a").values, {
    "minimum-validity": 10,
    "cert-paths": ["/a"],
  });
});

Deno.test("parseConfigFile() reads a bare key as true", () => {
  assert.deepEqual(parse("recursive\n  daemon  \n").values, { recursive: true, daemon: true });
});

Deno.test("parseConfigFile() reads every boolean word", () => {
  for (const word of ["true", "yes", "on", "1", "TRUE", "Yes"]) {
    assert.deepEqual(parse(`syslog=${word}`).values, { syslog: true }, word);
  }
  for (const word of ["false", "no", "off", "0", "False", "OFF"]) {
    assert.deepEqual(parse(`syslog=${word}`).values, { syslog: false }, word);
  }
});

Deno.test("parseConfigFile() reads no-<key> as false for a boolean key", () => {
  assert.deepEqual(parse("no-daemon").values, { daemon: false });
  assert.deepEqual(parse("no-daemon=false").values, { daemon: true });
});

Deno.test("parseConfigFile() keeps a no- key that the schema declares itself", () => {
  assert.deepEqual(parse("no-haproxy-sockets").values, { "no-haproxy-sockets": true });
});

Deno.test("parseConfigFile() reads bracket lists, single values and empty lists", () => {
  assert.deepEqual(parse("cert-paths=[/a, /b ,/c]").values, { "cert-paths": ["/a", "/b", "/c"] });
  assert.deepEqual(parse("cert-paths=/etc/ssl/one.pem").values, {
    "cert-paths": ["/etc/ssl/one.pem"],
  });
  assert.deepEqual(parse("cert-paths=[]").values, { "cert-paths": [] });
  assert.deepEqual(parse("cert-paths=").values, { "cert-paths": [] });
  assert.deepEqual(parse("cert-paths=[\"/a b\", '/c',]").values, { "cert-paths": ["/a b", "/c"] });
});

Deno.test("parseConfigFile() removes one pair of quotes around a value", () => {
  assert.deepEqual(parse('logdir="/var/log/my logs"').values, { logdir: "/var/log/my logs" });
  assert.deepEqual(parse("logdir='/x'").values, { logdir: "/x" });
  assert.deepEqual(parse("logdir=\"/x'").values, { logdir: "\"/x'" });
});

Deno.test("parseConfigFile() ignores sections, blank lines and ; or # comment lines", () => {
  const text = "[a]\n\n   ; recursive\n# daemon\n  # quiet\n[b c]\r\nverbosity=2\r\n";
  assert.deepEqual(parse(text), { values: { verbosity: 2 }, warnings: [] });
});

Deno.test("parseConfigFile() keeps # and ; inside values, since only whole lines are comments", () => {
  const { values, warnings } = parse("logdir=/var/log/#stapled;x\ncert-paths=[/a#1]");
  assert.deepEqual(values, { logdir: "/var/log/#stapled;x", "cert-paths": ["/a#1"] });
  assert.deepEqual(warnings, []);
});

Deno.test("parseConfigFile() warns when a value seems to carry a trailing comment", () => {
  const { values, warnings } = parse("\nlogdir=/var/log ; the logs");
  assert.deepEqual(values, { logdir: "/var/log ; the logs" });
  assert.deepEqual(warnings, [
    '/etc/stapled/stapled.conf:2: the value of logdir contains " ;" or " #"; it is kept as part' +
    " of the value (comments must be on a line of their own)",
  ]);
});

Deno.test("parseConfigFile() warns about an unknown key with file:line and skips it", () => {
  const { values, warnings } = parse("verbosity=1\n\nfrobnicate=3\nminimum-valdity=5\n");
  assert.deepEqual(values, { verbosity: 1 });
  assert.deepEqual(warnings, [
    "/etc/stapled/stapled.conf:3: unknown option frobnicate, ignored",
    "/etc/stapled/stapled.conf:4: unknown option minimum-valdity, ignored" +
    " (did you mean minimum-validity?)",
  ]);
});

Deno.test("parseConfigFile() warns when a key is set twice and the later line wins", () => {
  const { values, warnings } = parse("daemon\nverbosity=1\nno-daemon");
  assert.deepEqual(values, { daemon: false, verbosity: 1 });
  assert.deepEqual(warnings, [
    "/etc/stapled/stapled.conf:3: daemon was already set on line 1; this line wins",
  ]);
});

Deno.test("parseConfigFile() rejects a non-number with file:line and a hint", () => {
  const err = parseError("verbosity=1\nminimum-validity=abc\n");
  assert.equal(err.file, "/etc/stapled/stapled.conf:2");
  assert.equal(
    err.message,
    '/etc/stapled/stapled.conf:2: minimum-validity expects a whole number, got "abc"' +
      " (e.g. minimum-validity=60)",
  );
});

Deno.test("parseConfigFile() rejects a negative number", () => {
  const err = parseError("refresh-interval=-5");
  assert.equal(
    err.message,
    '/etc/stapled/stapled.conf:1: refresh-interval must not be negative, got "-5"' +
      " (e.g. refresh-interval=60)",
  );
});

Deno.test("parseConfigFile() takes decimals for number keys but not integer keys", () => {
  assert.deepEqual(parse("refresh-interval=0.5").values, { "refresh-interval": 0.5 });
  assert.match(parseError("renewal-threads=2.5").message, /expects a whole number, got "2.5"/);
});

Deno.test("parseConfigFile() hints that a number cannot carry a trailing comment", () => {
  assert.equal(
    parseError("minimum-validity=7200 ; two hours").reason,
    'minimum-validity expects a whole number, got "7200 ; two hours" (e.g. minimum-validity=60);' +
      " comments must be on a line of their own",
  );
});

Deno.test("parseConfigFile() rejects a bad boolean word", () => {
  assert.equal(
    parseError("\n\nrecursive=maybe").message,
    '/etc/stapled/stapled.conf:3: recursive expects true or false, got "maybe"' +
      ' (write "recursive" alone for true, or recursive=false)',
  );
});

Deno.test("parseConfigFile() rejects a bare key that needs a value", () => {
  assert.equal(
    parseError("minimum-validity").reason,
    "minimum-validity needs a value, e.g. minimum-validity=60",
  );
});

Deno.test("parseConfigFile() rejects a list that does not close on its line", () => {
  const err = parseError("cert-paths=[/a,\n  /b]");
  assert.equal(err.file, "/etc/stapled/stapled.conf:1");
  assert.equal(
    err.reason,
    'cert-paths opens a list with "[" but the line does not end with "]"' +
      " (a list must stay on one line, e.g. cert-paths=[a, b])",
  );
});

Deno.test("parseConfigFile() rejects a line without a key", () => {
  assert.equal(
    parseError("=5").reason,
    'cannot read "=5": expected key=value, a bare key, a [section] or a ; comment',
  );
});

Deno.test("readConfigFiles() reads the files that exist in order and skips missing ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.conf`, "verbosity=1\n");
    await Deno.writeTextFile(`${dir}/c.conf`, "verbosity=4\nbogus\n");
    const results = await readConfigFiles(
      [`${dir}/a.conf`, `${dir}/missing.conf`, `${dir}/c.conf`],
      SCHEMA,
    );
    assert.deepEqual(results, [
      { file: `${dir}/a.conf`, values: { verbosity: 1 }, warnings: [] },
      {
        file: `${dir}/c.conf`,
        values: { verbosity: 4 },
        warnings: [`${dir}/c.conf:2: unknown option bogus, ignored`],
      },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readConfigFiles() reports an unreadable file as a ConfigError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      readConfigFiles([dir], SCHEMA),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === `${dir}: cannot read the config file: it is a directory`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readConfigFiles() says why reading failed when permission is denied", async () => {
  function readFile(): Promise<ConfigFileContent> {
    return Promise.reject(new Deno.errors.PermissionDenied("Permission denied (os error 13)"));
  }
  await assert.rejects(
    readConfigFiles(["/etc/stapled/stapled.conf"], SCHEMA, { readFile }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message === "/etc/stapled/stapled.conf: cannot read the config file: permission denied",
  );
});

Deno.test("readConfigFiles() fails for a missing required (-c) file", async () => {
  function readFile(): Promise<ConfigFileContent> {
    return Promise.reject(new Deno.errors.NotFound("gone"));
  }
  assert.deepEqual(await readConfigFiles(["/root/.stapled.conf"], SCHEMA, { readFile }), []);
  await assert.rejects(
    readConfigFiles(["/root/.stapled.conf", "/tmp/mine.conf"], SCHEMA, {
      readFile,
      required: ["/tmp/mine.conf"],
    }),
    (err: unknown) =>
      err instanceof ConfigError && err.message === "/tmp/mine.conf: config file not found",
  );
});

Deno.test("readConfigFiles() passes on a bad value's ConfigError", async () => {
  const files: Record<string, string> = { "/x.conf": "verbosity=loud" };
  await assert.rejects(
    readConfigFiles(["/x.conf"], SCHEMA, {
      readFile: (path) => Promise.resolve({ text: files[path], uid: 0, mode: 0o644 }),
    }),
    (err: unknown) => err instanceof ConfigError && err.file === "/x.conf:1",
  );
});

Deno.test("mergeConfig() lets later layers win: command line > -c > /etc > ~ > defaults", () => {
  const defaults = { verbosity: 3, "minimum-validity": 7200, recursive: false, logdir: "/d" };
  const home = { verbosity: 1, "cert-paths": ["/home"], logdir: "/home" };
  const etc = { verbosity: 2, recursive: true };
  const named = { "minimum-validity": 60 };
  const commandLine = { verbosity: 4, logdir: undefined };
  assert.deepEqual(mergeConfig([defaults, home, etc, named, commandLine]), {
    verbosity: 4,
    "minimum-validity": 60,
    recursive: true,
    logdir: "/home",
    "cert-paths": ["/home"],
  });
});

Deno.test("mergeConfig() lets --no-daemon on the command line beat daemon in a file", () => {
  const file = parse("daemon").values;
  assert.equal(mergeConfig([{ daemon: false }, file, { daemon: false }]).daemon, false);
  assert.equal(mergeConfig([{ daemon: false }, file, {}]).daemon, true);
  assert.equal(
    mergeConfig([{ daemon: false }, parse("no-daemon").values, { daemon: true }]).daemon,
    true,
  );
});

Deno.test("mergeConfig() replaces lists instead of appending and copies them", () => {
  const list = ["/a"];
  const merged = mergeConfig([{ "cert-paths": ["/x", "/y"] }, { "cert-paths": list }]);
  assert.deepEqual(merged, { "cert-paths": ["/a"] });
  assert.notEqual(merged["cert-paths"], list);
});

Deno.test("defaultConfigPaths() lists ~ and /etc, lowest precedence first, and nothing in the working directory", () => {
  assert.deepEqual(defaultConfigPaths("/home/op/"), [
    "/home/op/.stapled.conf",
    "/etc/stapled/stapled.conf",
  ]);
  assert.deepEqual(defaultConfigPaths(""), ["/etc/stapled/stapled.conf"]);
});

// ------------------------------------------- who may set a command stapled runs

const COMMAND_SCHEMA: ConfigSchema = { ...SCHEMA, "on-update": "string" };

/** A temp dir with `stapled.conf` holding `text` at `mode`. */
async function withConfig(
  text: string,
  mode: number,
  fn: (file: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-conf-" });
  const file = `${dir}/stapled.conf`;
  try {
    await Deno.writeTextFile(file, text);
    await Deno.chmod(file, mode); // exactly, whatever the umask
    await fn(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ON_UPDATE = "verbosity=2\non-update=systemctl reload nginx\n";

Deno.test("a config file that others may write is refused when it sets on-update", async () => {
  for (const mode of [0o666, 0o646, 0o664, 0o620]) {
    await withConfig(ON_UPDATE, mode, async (file) => {
      await assert.rejects(readConfigFiles([file], COMMAND_SCHEMA), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          `${file}: refusing the config file: it sets on-update (a command stapled runs) but is` +
            ` writable by group or others (mode ${mode.toString(8).padStart(4, "0")});` +
            ` chmod go-w ${file}`,
        );
        return true;
      });
    });
  }
});

Deno.test("a config file owned by the running user with mode 0644 may set on-update", async () => {
  for (const mode of [0o644, 0o600, 0o400]) {
    await withConfig(ON_UPDATE, mode, async (file) => {
      const [result] = await readConfigFiles([file], COMMAND_SCHEMA);
      assert.deepEqual(result.values, { verbosity: 2, "on-update": "systemctl reload nginx" });
    });
  }
});

Deno.test("a config file that others may write is still read when it sets no command", async () => {
  await withConfig("verbosity=2\n", 0o666, async (file) => {
    const [result] = await readConfigFiles([file], COMMAND_SCHEMA);
    assert.deepEqual(result.values, { verbosity: 2 });
  });
});

Deno.test({
  name: "a config file owned by another user is refused when it sets on-update",
  ignore: Deno.uid() !== 0, // only root can give a file away
  fn: async () => {
    await withConfig(ON_UPDATE, 0o644, async (file) => {
      await Deno.chown(file, 65534, null);
      await assert.rejects(
        readConfigFiles([file], COMMAND_SCHEMA),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message ===
            `${file}: refusing the config file: it sets on-update (a command stapled runs) but is` +
              ` owned by uid 65534, not by root or uid 0 (the user stapled runs as); chown root ${file}`,
      );
    });
  },
});

Deno.test("a config file owned by neither root nor the given uid is refused when it sets on-update", async () => {
  await withConfig(ON_UPDATE, 0o644, async (file) => {
    const owner = Deno.statSync(file).uid!;
    const content = { text: ON_UPDATE, uid: owner === 0 ? 1000 : owner, mode: 0o644 };
    await assert.rejects(
      readConfigFiles([file], COMMAND_SCHEMA, {
        readFile: () => Promise.resolve(content),
        uid: content.uid + 1,
      }),
      new RegExp(`is owned by uid ${content.uid}, not by root or uid ${content.uid + 1} `),
    );
    // Root's files are trusted whoever stapled runs as.
    const [ok] = await readConfigFiles([file], COMMAND_SCHEMA, {
      readFile: () => Promise.resolve({ ...content, uid: 0 }),
      uid: 4242,
    });
    assert.equal(ok.values["on-update"], "systemctl reload nginx");
  });
});

Deno.test("readConfigText() refuses a FIFO instead of blocking on it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/stapled.conf`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success);
    await assert.rejects(
      readConfigText(fifo),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === `${fifo}: cannot read the config file: it is not a regular file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
