/**
 * `--ocsp-proxy` and `--ocsp-responder-override`: declared once in the
 * option table, taken from the command line (the override repeatable) and
 * from config files, and checked when the configuration is read: a bad
 * value stops stapled with one line and exit status 2.
 */
import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/config/command_line.ts";
import { CONFIG_SCHEMA, resolveConfig } from "../../src/config/config.ts";
import { parseConfigFile } from "../../src/config/config_file.ts";
import { optionSpec } from "../../src/config/options.ts";
import { runStapled } from "../_helpers/run_stapled.ts";

const quiet = { out: () => {}, err: () => {} };

Deno.test("--ocsp-responder-override is repeatable and --ocsp-proxy is a string option", () => {
  const { values } = parseCommandLine([
    "--ocsp-responder-override",
    "ocsp.a.test=http://mirror.test/a",
    "--ocsp-proxy",
    "http://127.0.0.1:3128",
    "--ocsp-responder-override",
    "http://ocsp.b.test/r3=",
  ], quiet);
  const config = resolveConfig([values]);
  assert.deepEqual(config.ocspResponderOverride, [
    "ocsp.a.test=http://mirror.test/a",
    "http://ocsp.b.test/r3=",
  ]);
  assert.equal(config.ocspProxy, "http://127.0.0.1:3128");
  assert.equal(optionSpec("ocsp-proxy").group, optionSpec("timeout").group);
});

Deno.test("a config file sets ocsp-proxy and a list of ocsp-responder-override", () => {
  const values = parseConfigFile(
    "[ocsp]\nocsp-proxy=http://proxy.internal:3128\nocsp-responder-override=[ocsp.a.test=http://m.test, ocsp.b.test=]\n",
    "/x.conf",
    CONFIG_SCHEMA,
  );
  const config = resolveConfig([values.values]);
  assert.equal(config.ocspProxy, "http://proxy.internal:3128");
  assert.deepEqual(config.ocspResponderOverride, ["ocsp.a.test=http://m.test", "ocsp.b.test="]);
});

Deno.test("without the options there is no proxy and no override", () => {
  const config = resolveConfig([]);
  assert.equal(config.ocspProxy, undefined);
  assert.deepEqual(config.ocspResponderOverride, []);
});

for (
  const [args, message] of [
    [
      ["--ocsp-responder-override", "ocsp.a.test"],
      "stapled: --ocsp-responder-override ocsp.a.test: no '=' (expected FROM=TO, FROM a URL prefix or a host[:port], TO an http(s) URL or empty)\n",
    ],
    [
      ["--ocsp-responder-override", "ocsp.a.test=ftp://mirror.test/"],
      'stapled: --ocsp-responder-override ocsp.a.test=ftp://mirror.test/: TO "ftp://mirror.test/" is not http or https (expected FROM=TO, FROM a URL prefix or a host[:port], TO an http(s) URL or empty)\n',
    ],
    [
      ["--ocsp-proxy", "proxy.internal:3128"],
      "stapled: --ocsp-proxy proxy.internal:3128: not an http(s) proxy URL (e.g. --ocsp-proxy http://proxy.internal:3128)\n",
    ],
  ] as const
) {
  Deno.test(`stapled ${args.join(" ")} stops at once: exit 2, one line`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "stapled-responder-options-" });
    try {
      const run = await runStapled(["--one-off", "-p", dir, ...args], {
        cwd: dir,
        env: { HOME: dir },
      });
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr, message);
      assert.equal(run.stdout, "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
