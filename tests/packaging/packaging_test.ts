import assert from "node:assert/strict";
import { requirePeer } from "../_helpers/net.ts";
import { parseConfigFile } from "../../src/config/config_file.ts";
import { CONFIG_SCHEMA } from "../../src/config/config.ts";

const DIR = new URL("../../scripts/packaging/", import.meta.url).pathname;
const CONF = `${DIR}stapled.conf`;
const UNIT = `${DIR}stapled.service`;
const CRON = `${DIR}cron.d/stapled`;
const BINARY = "/usr/local/bin/stapled";

/** The commented-out settings of the sample: lines starting with one ";". */
const SETTING_REGEXP = /^; (?=[a-z])/;

Deno.test("the sample stapled.conf parses with no warnings", async () => {
  const text = await Deno.readTextFile(CONF);
  const { values, warnings } = parseConfigFile(text, CONF, CONFIG_SCHEMA);
  assert.deepEqual(warnings, []);
  assert.deepEqual(values, { "haproxy-config": ["/etc/haproxy/haproxy.cfg"] });
});

Deno.test("the sample stapled.conf shows every option once, with a valid example", async () => {
  const text = await Deno.readTextFile(CONF);
  const uncommented = text.split("\n").map((line) => line.replace(SETTING_REGEXP, "")).join("\n");
  const { values, warnings } = parseConfigFile(uncommented, CONF, CONFIG_SCHEMA);
  assert.deepEqual(warnings, []);
  assert.deepEqual(Object.keys(values).sort(), Object.keys(CONFIG_SCHEMA).sort());
  for (const section of ["[certfiles]", "[validity]", "[deamon]", "[logging]", "[haproxy]"]) {
    assert.ok(text.includes(`\n${section}\n`), `section ${section}`);
  }
});

Deno.test("the systemd unit starts stapled in the foreground as user stapled in HAProxy's group, before HAProxy, with a one-off first", async () => {
  const unit = await Deno.readTextFile(UNIT);
  const lines = new Set(unit.split("\n"));
  for (
    const line of [
      "Type=simple",
      "Before=haproxy.service",
      `ExecStartPre=-${BINARY} --one-off --interactive`,
      `ExecStart=${BINARY} --interactive`,
      "ExecReload=/bin/kill -HUP $MAINPID",
      "User=stapled",
      "Group=stapled",
      "SupplementaryGroups=haproxy",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "WantedBy=multi-user.target haproxy.service",
    ]
  ) {
    assert.ok(lines.has(line), line);
  }
});

const HAS_SYSTEMD_ANALYZE = await new Deno.Command("systemd-analyze", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
}).output().then(
  (o) => requirePeer(o.success, "systemd-analyze"),
  () => requirePeer(false, "systemd-analyze"),
);

Deno.test({
  name: "systemd-analyze verify accepts the unit",
  ignore: !HAS_SYSTEMD_ANALYZE,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      // verify checks that the executables exist: stand one in for the binary.
      const fake = `${dir}/stapled`;
      await Deno.writeTextFile(fake, "#!/bin/sh\n", { mode: 0o755 });
      const unit = (await Deno.readTextFile(UNIT)).replaceAll(BINARY, fake);
      await Deno.writeTextFile(`${dir}/stapled.service`, unit);
      const out = await new Deno.Command("systemd-analyze", {
        args: ["verify", `${dir}/stapled.service`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, said);
      assert.equal(said.trim(), "", "no warnings");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the cron line runs a quiet one-off every hour as root", async () => {
  const entries = (await Deno.readTextFile(CRON)).split("\n").filter((l) =>
    l.trim() !== "" && !l.startsWith("#")
  );
  assert.equal(entries.length, 1);
  const fields = entries[0].trim().split(/\s+/);
  assert.deepEqual(fields.slice(0, 6), ["17", "*", "*", "*", "*", "root"]);
  const command = entries[0].slice(entries[0].indexOf("root") + 4).trim();
  assert.ok(!command.includes("%"), "a % in a cron command starts its stdin");
  assert.match(
    command,
    new RegExp(`^out=\\$\\(${BINARY} --one-off --interactive --minimum-validity 86400 2>&1\\)`),
  );
});
