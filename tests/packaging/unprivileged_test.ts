/**
 * The layout scripts/packaging/README.md documents for running stapled as a
 * user of its own in HAProxy's group, tried for real: a real HAProxy with
 * `stats socket ... mode 660 gid <haproxy>`, a certificate directory owned by
 * root and group-writable (2775) with the bundle group-readable (0640), and
 * stapled started as an unprivileged uid (nobody) with HAProxy's group as a
 * supplementary group, under exactly the binary's permission flags.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { caHandler, startResponder } from "../../scripts/lib/ocsp_responder.ts";
import { RUNTIME_PERMISSIONS } from "../../src/service/permissions.ts";
import { HAPROXY, servedStaple, startHaproxy } from "../_helpers/haproxy.ts";
import { hasCommand } from "../_helpers/net.ts";
import { opensslVerifyStaple } from "../_helpers/openssl_responder.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** nobody: no home, no groups of its own worth having. */
const UNPRIVILEGED = 65534;

const canRun = Deno.uid() === 0 && HAPROXY !== undefined && await hasCommand("openssl") &&
  await hasCommand("setpriv");

/** HAProxy's group when the system has one, else any unused number. */
async function haproxyGid(): Promise<number> {
  const text = await Deno.readTextFile("/etc/group").catch(() => "");
  const line = text.split("\n").find((l) => l.startsWith("haproxy:"));
  return line ? Number(line.split(":")[2]) : 4711;
}

/** Runs a one-off as `nobody` with `groups` as its supplementary groups. */
async function runAsNobody(dir: string, groups: number[], args: string[]) {
  const out = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${UNPRIVILEGED}`,
      `--regid=${UNPRIVILEGED}`,
      groups.length ? `--groups=${groups.join(",")}` : "--clear-groups",
      "--",
      Deno.execPath(),
      "run",
      "--quiet",
      ...RUNTIME_PERMISSIONS,
      MAIN,
      ...args,
    ],
    // A cache nobody may write: the test's own, removed with it.
    env: { NO_COLOR: "1", HOME: `${dir}/home`, DENO_DIR: `${dir}/home/deno` },
    cwd: `${dir}/home`,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test({
  name:
    "stapled as an unprivileged user in HAProxy's group staples through a mode 660 socket and a group-writable certificate directory",
  ignore: !canRun,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const gid = await haproxyGid();
  const dir = await Deno.makeTempDir({ prefix: "stapled-unpriv-" });
  await Deno.chmod(dir, 0o755);
  await Deno.mkdir(`${dir}/home`, { mode: 0o777 });
  await Deno.chmod(`${dir}/home`, 0o777);
  const certs = `${dir}/certs`;
  await Deno.mkdir(certs);
  await Deno.chown(certs, 0, gid);
  await Deno.chmod(certs, 0o2775);
  const root = await TestCa.root("Unprivileged Root");
  const ca = await root.intermediate("Unprivileged CA");
  const status = new Map<string, "good" | "revoked">();
  const responder = startResponder(caHandler(ca, status));
  const leaf = await ca.leaf("unpriv.example.test", { ocspUrls: [responder.url] });
  status.set(leaf.serial, "good");
  const bundle = `${certs}/site.pem`;
  await writeBundle(bundle, leaf, [ca]);
  await Deno.chown(bundle, 0, gid);
  await Deno.chmod(bundle, 0o640);
  const socket = `${dir}/group.sock`;
  const haproxy = await startHaproxy({
    dir,
    crts: [bundle],
    globalLines: [`stats socket ${socket} mode 660 gid ${gid} level admin`],
  });
  try {
    const args = ["--one-off", "-p", certs, "-s", socket];
    // Without HAProxy's group, nobody can read the bundle: the modes matter.
    const outsider = await runAsNobody(dir, [], args);
    assert.equal(outsider.code, 1, outsider.stderr);
    assert.match(outsider.stdout, /site\.pem: FAILED/);

    const run = await runAsNobody(dir, [gid], args);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /site\.pem: good, valid until /);
    assert.doesNotMatch(run.stderr, /Cannot staple on HAProxy socket/);
    const staple = await Deno.stat(`${bundle}.ocsp`);
    assert.equal(staple.uid, UNPRIVILEGED);
    assert.equal(staple.mode! & 0o777, 0o644, "staples are readable by HAProxy and nginx");
    await Deno.writeTextFile(`${dir}/ca.pem`, ca.pem);
    await Deno.writeTextFile(`${dir}/root.pem`, root.pem);
    await Deno.writeTextFile(`${dir}/leaf.pem`, leaf.pem);
    const verified = await opensslVerifyStaple(
      `${bundle}.ocsp`,
      `${dir}/ca.pem`,
      `${dir}/leaf.pem`,
      `${dir}/root.pem`,
      ["-verify_other", `${dir}/ca.pem`],
    );
    assert.ok(verified.ok, verified.output);
    // Pushed over the group socket: HAProxy serves it without a restart.
    const served = await servedStaple(haproxy.tlsPort, "unpriv.example.test");
    assert.equal(served.certStatus, "good", served.text.slice(0, 400));
  } finally {
    await haproxy.stop();
    await responder.close();
    await Deno.remove(dir, { recursive: true });
  }
});
