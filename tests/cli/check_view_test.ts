import assert from "node:assert/strict";
import { checkHealth } from "../../src/cli/check_view.ts";
import { cert, NO_STAPLE, snapshotOf } from "./_snapshots.ts";

Deno.test("checkHealth() exits 0 when every staple outlives the minimum validity, ignoring certificates without OCSP URL", () => {
  const r = checkHealth(
    snapshotOf(
      cert("/c/a.pem", { hours: 48 }),
      cert("/c/b.pem", { hours: 3 }),
      cert("/c/lab.pem", { ocspUrls: [], ...NO_STAPLE }),
    ),
    { minimumValidity: 7200 },
  );
  assert.equal(r.exitCode, 0);
  assert.equal(
    r.output,
    "OCSP OK - 2 staple(s) valid, the soonest to expire in 3h (/c/b.pem) | ok=2 warning=0 critical=0 unknown=0\n",
  );
});

Deno.test("checkHealth() exits 1 when a staple is valid for one hour under a two-hour minimum", () => {
  const r = checkHealth(snapshotOf(cert("/c/a.pem"), cert("/c/hour.pem", { hours: 1 })), {
    minimumValidity: 7200,
  });
  assert.equal(r.exitCode, 1);
  assert.equal(
    r.output,
    "OCSP WARNING - 1 valid for less than 7200 s of 2: /c/hour.pem: staple valid for 1h only, less than 7200 s | ok=1 warning=1 critical=0 unknown=0\n",
  );
});

Deno.test("checkHealth() exits 2 for a revoked staple, a missing one or an expired one, over warnings and unknowns", () => {
  for (
    const bad of [
      cert("/c/x.pem", { staple: "revoked" }),
      cert("/c/x.pem", NO_STAPLE),
      cert("/c/x.pem", { hours: -1 }),
    ]
  ) {
    const r = checkHealth(
      snapshotOf(
        cert("/c/hour.pem", { hours: 1 }),
        bad,
        cert("/c/u.pem", { parsed: false, ...NO_STAPLE }),
      ),
      { verbose: true },
    );
    assert.equal(r.exitCode, 2, bad.path);
    const lines = r.output.trimEnd().split("\n");
    assert.match(
      lines[0],
      /^OCSP CRITICAL - 1 without a valid staple or revoked, 1 valid for less than 7200 s, 1 unreadable of 3: /,
    );
    assert.equal(lines.length, 4, "one detail line per problem with -v");
    assert.ok(lines.some((l) => l.startsWith("CRITICAL: /c/x.pem: ")));
  }
});

Deno.test("checkHealth() exits 3 when it cannot tell: no snapshot, or a certificate file that cannot be read", () => {
  assert.deepEqual(checkHealth(undefined, {}, "cannot read /etc/ssl: permission denied"), {
    exitCode: 3,
    output: "OCSP UNKNOWN - cannot read /etc/ssl: permission denied\n",
  });
  const r = checkHealth(
    snapshotOf(
      cert("/c/a.pem"),
      cert("/c/u.pem", { parsed: false, ...NO_STAPLE, stapleNote: "permission denied" }),
    ),
  );
  assert.equal(r.exitCode, 3);
  assert.match(
    r.output,
    /^OCSP UNKNOWN - 1 unreadable of 2: \/c\/u\.pem: cannot tell, the file could not be read \(permission denied\)/,
  );
});

Deno.test("checkHealth() prints details only with verbose", () => {
  const s = snapshotOf(cert("/c/a.pem", NO_STAPLE), cert("/c/b.pem", NO_STAPLE));
  assert.equal(checkHealth(s).output.split("\n").length, 2);
  assert.match(checkHealth(s).output, /and 1 more/);
  assert.equal(checkHealth(s, { verbose: true }).output.trimEnd().split("\n").length, 3);
});
