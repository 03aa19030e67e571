/**
 * Confirms the fixtures against real HAProxy with `haproxy -c` (skipped, with
 * a notice, where haproxy or openssl is not installed).
 */
import assert from "node:assert/strict";
import { requirePeer } from "../../_helpers/net.ts";
import { readHaproxyConfig } from "../../../src/haproxy/config/mod.ts";
import { envOf, fixture, withTempDir, writeFiles } from "./_helpers.ts";

function installed(command: string, args: string[]): string | undefined {
  try {
    const { success, stdout } = new Deno.Command(command, { args, stderr: "null" }).outputSync();
    return success ? new TextDecoder().decode(stdout) : undefined;
  } catch {
    return undefined;
  }
}

const HAPROXY_VERSION = /HAProxy version (\d+(?:\.\d+)*)/.exec(installed("haproxy", ["-v"]) ?? "")
  ?.[1];
const HAS_OPENSSL = installed("openssl", ["version"]) !== undefined;
requirePeer(HAPROXY_VERSION !== undefined, "haproxy");
requirePeer(HAS_OPENSSL, "openssl");
const DEBIAN_ERROR_FILES = requirePeer(
  (() => {
    try {
      return Deno.statSync("/etc/haproxy/errors/400.http").isFile;
    } catch {
      return false;
    }
  })(),
  "Debian's HAProxy error files (/etc/haproxy/errors)",
);

async function haproxyCheck(config: string, env: Record<string, string>) {
  const { success, stdout, stderr } = await new Deno.Command("haproxy", {
    args: ["-c", "-f", config],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin", ...env },
    clearEnv: true,
  }).output();
  const decoder = new TextDecoder();
  return { success, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** Writes the certificates quirks.cfg names (one self-signed EC certificate, copied). */
async function writeQuirksCertificates(dir: string): Promise<void> {
  const { success } = await new Deno.Command("openssl", {
    args: ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
      .concat(["-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`, "-days", "2"])
      .concat(["-subj", "/CN=quirks.test"]),
    stdout: "null",
    stderr: "null",
  }).output();
  assert.ok(success, "openssl could not make a certificate");
  const pem = (await Deno.readTextFile(`${dir}/cert.pem`)) +
    (await Deno.readTextFile(`${dir}/key.pem`));
  await Deno.remove(`${dir}/cert.pem`);
  await Deno.remove(`${dir}/key.pem`);
  await writeFiles(dir, {
    "a.pem": pem,
    "b space.pem": pem,
    "c.pem": pem,
    "e.pem": pem,
    "dir/d.pem": pem,
    "list.txt": "# list\n\ne.pem [alpn h2] e.test !f.test\n",
  });
}

Deno.test({
  name: "haproxy -c accepts quirks.cfg, and stapled reads the certificates HAProxy loads",
  ignore: !HAPROXY_VERSION || !HAS_OPENSSL,
  async fn() {
    await withTempDir(async (dir) => {
      await writeQuirksCertificates(dir);
      const env = { CERT_DIR: dir, STAPLED_EMPTY_VAR: "" };
      const check = await haproxyCheck(fixture("quirks.cfg"), env);
      assert.ok(check.success, check.output);
      const result = await readHaproxyConfig(fixture("quirks.cfg"), {
        env: envOf(env),
        haproxyVersion: HAPROXY_VERSION,
      });
      assert.deepEqual(result.warnings.filter((w) => w.includes(".alert")), []);
      assert.deepEqual(result.certs.map((c) => c.path), [
        `${dir}/a.pem`,
        `${dir}/dir`,
        `${dir}/e.pem`,
        `${dir}/b space.pem`,
        `${dir}/c.pem`,
      ]);
    });
  },
});

Deno.test({
  name: "haproxy -c and stapled both reach the .alert of a wrong expectation in quirks.cfg",
  ignore: !HAPROXY_VERSION || !HAS_OPENSSL,
  async fn() {
    await withTempDir(async (dir) => {
      await writeQuirksCertificates(dir);
      const text = await Deno.readTextFile(fixture("quirks.cfg"));
      const wrong = text.replace(
        String.raw`.if !streq(a\x41b,aAb)`,
        String.raw`.if !streq(a\x41b,aBb)`,
      );
      assert.notEqual(wrong, text);
      await Deno.writeTextFile(`${dir}/wrong.cfg`, wrong);
      const env = { CERT_DIR: dir, STAPLED_EMPTY_VAR: "" };
      const check = await haproxyCheck(`${dir}/wrong.cfg`, env);
      assert.ok(!check.success);
      assert.match(check.output, /'hex escape'/);
      const result = await readHaproxyConfig(`${dir}/wrong.cfg`, { env: envOf(env) });
      assert.deepEqual(result.warnings.filter((w) => w.includes(".alert")), [
        `${dir}/wrong.cfg:36: '.alert hex escape': HAProxy stops here`,
      ]);
    });
  },
});

Deno.test({
  name: "haproxy -c accepts the Debian stock fixture",
  ignore: !HAPROXY_VERSION || !DEBIAN_ERROR_FILES,
  async fn() {
    const check = await haproxyCheck(fixture("debian-haproxy.cfg"), {});
    assert.ok(check.success, check.output);
  },
});
