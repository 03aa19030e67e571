import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/config/command_line.ts";
import { loadConfig, resolveConfig } from "../../src/config/config.ts";
import { ConfigError } from "../../src/errors/mod.ts";

const quiet = { out: () => {}, err: () => {} };
const parse = (args: string[]) => parseCommandLine(args, quiet);

Deno.test("every option of the original parses with its long and short names", () => {
  const { values } = parse([
    "-c",
    "/etc/x.conf",
    "--minimum-validity",
    "3600",
    "-t",
    "4",
    "--verbosity",
    "2",
    "-D",
    "--file-extensions",
    "pem,crt",
    "-r",
    "30",
    "-l",
    "/tmp/logs",
    "--syslog",
    "-q",
    "-s",
    "/run/a.sock",
    "/run/b.sock",
    "--haproxy-config",
    "/etc/haproxy/haproxy.cfg",
    "-p",
    "/etc/a",
    "/etc/b",
    "-R",
    "--no-recycle",
    "-i",
    "*.bak",
    "snakeoil.pem",
  ]);
  assert.deepEqual(values, {
    config: "/etc/x.conf",
    "minimum-validity": 3600,
    "renewal-threads": 4,
    verbosity: 2,
    daemon: true,
    "file-extensions": "pem,crt",
    "refresh-interval": 30,
    logdir: "/tmp/logs",
    syslog: true,
    quiet: true,
    "haproxy-sockets": ["/run/a.sock", "/run/b.sock"],
    "haproxy-config": ["/etc/haproxy/haproxy.cfg"],
    "cert-paths": ["/etc/a", "/etc/b"],
    recursive: true,
    "no-recycle": true,
    ignore: ["*.bak", "snakeoil.pem"],
  });
});

Deno.test("-v is counted and overrides --verbosity", () => {
  const cli = parse(["--verbosity", "1", "-vvvv", "-p", "x"]);
  assert.equal(cli.verbose, 4);
  assert.equal(resolveConfig([cli.values], cli.verbose).verbosity, 4);
  assert.equal(resolveConfig([parse(["-v", "-v", "-p", "x"]).values], 2).verbosity, 2);
});

Deno.test("a bare -l means /var/log/stapled/", () => {
  assert.equal(parse(["-l"]).values.logdir, "/var/log/stapled/");
});

Deno.test("--interactive and --no-daemon win over daemon from a config file", () => {
  for (const flag of ["--interactive", "--no-daemon"]) {
    const cli = parse([flag, "-p", "x"]);
    assert.equal(resolveConfig([{ daemon: true }, cli.values]).daemon, false);
  }
  assert.equal(resolveConfig([{ daemon: true }, parse(["-p", "x"]).values]).daemon, true);
});

Deno.test("--no-haproxy-sockets overrides sockets from a file and --one-shot is --one-off", () => {
  const cfg = resolveConfig([
    { "haproxy-sockets": ["/a.sock"], "cert-paths": ["/a"] },
    parse(["--no-haproxy-sockets", "--one-shot"]).values,
  ]);
  assert.deepEqual(cfg.haproxySockets, []);
  assert.equal(cfg.noHaproxySockets, true);
  assert.equal(cfg.oneOff, true);
});

Deno.test("deprecated -d works with a warning, and mixing it with -p is a usage error", () => {
  const cfg = resolveConfig([parse(["-d", "/etc/a", "/etc/b"]).values]);
  assert.deepEqual(cfg.certPaths, ["/etc/a", "/etc/b"]);
  assert.match(cfg.warnings.join("\n"), /deprecated/);
  assert.throws(
    () => resolveConfig([parse(["-d", "/a", "-p", "/b"]).values]),
    /cannot be mixed with --cert-paths/,
  );
});

Deno.test("sockets pair with cert paths by position; unequal counts are a usage error", () => {
  assert.throws(
    () => resolveConfig([parse(["-p", "/a", "/b", "-s", "/a.sock"]).values]),
    /got 1 socket\(s\) for 2 cert path\(s\)/,
  );
});

Deno.test("defaults match the original", () => {
  const cfg = resolveConfig([{ "cert-paths": ["/x"] }]);
  assert.equal(cfg.minimumValidity, 7200);
  assert.equal(cfg.renewalThreads, 2);
  assert.equal(cfg.refreshInterval, 60);
  assert.deepEqual(cfg.fileExtensions, ["crt", "pem", "cer"]);
  assert.equal(cfg.recycle, true);
  assert.equal(cfg.haproxySocketKeepalive, 86400);
  assert.equal(cfg.timeout, 10);
});

Deno.test("bad values and unknown options are one-line usage errors with a hint", () => {
  for (
    const args of [["--bogus"], ["-t", "-1"], ["--minimum-validity", "abc"], ["-p"], ["-r", "1.5"]]
  ) {
    assert.throws(() => parse(args), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(!err.message.includes("\n"), err.message);
      assert.match(err.message, /see stapled --help|e\.g\./);
      return true;
    });
  }
  assert.throws(() => resolveConfig([{ "renewal-threads": 0 }]), /at least 1/);
  assert.throws(() => resolveConfig([{ verbosity: 7 }]), /0 to 4/);
});

Deno.test("--help and --version print and ask to exit 0", () => {
  let out = "";
  const sink = { out: (s: string) => (out += s), err: () => {} };
  assert.equal(parseCommandLine(["--help"], sink).exit, 0);
  assert.match(out, /Certificates:[\s\S]*HAProxy:[\s\S]*Renewal:[\s\S]*Running:[\s\S]*Logging:/);
  out = "";
  assert.equal(parseCommandLine(["-V"], sink).exit, 0);
  assert.match(out, /^stapled \d+\.\d+\.\d+/);
});

Deno.test("config files merge under the command line, -c above the default files", async () => {
  const files: Record<string, string> = {
    "/root/.stapled.conf": "minimum-validity=100\nrenewal-threads=3\n",
    "/etc/stapled/stapled.conf": "[certfiles]\ncert-paths=[/etc/a, /etc/b]\nrenewal-threads=5\n",
    "/tmp/mine.conf": "renewal-threads=6\nbogus-key=1\n",
  };
  const readFile = (p: string) =>
    p in files
      ? Promise.resolve({ text: files[p], uid: 0, mode: 0o644 })
      : Promise.reject(new Deno.errors.NotFound(p));
  const cfg = await loadConfig(parse(["-c", "/tmp/mine.conf", "-t", "7"]), {
    defaultFiles: ["/root/.stapled.conf", "/etc/stapled/stapled.conf"],
    readFile,
  });
  assert.equal(cfg.renewalThreads, 7);
  assert.equal(cfg.minimumValidity, 100);
  assert.deepEqual(cfg.certPaths, ["/etc/a", "/etc/b"]);
  assert.match(cfg.warnings.join("\n"), /\/tmp\/mine\.conf:2: unknown option bogus-key/);
  const noCli = await loadConfig(parse(["-c", "/tmp/mine.conf"]), {
    defaultFiles: ["/etc/stapled/stapled.conf"],
    readFile,
  });
  assert.equal(noCli.renewalThreads, 6);
  await assert.rejects(
    loadConfig(parse(["-c", "/nope.conf"]), { defaultFiles: [], readFile }),
    ConfigError,
  );
});
