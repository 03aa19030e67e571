import assert from "node:assert/strict";
import { byUrgency, formatDuration, renderStatus } from "../../src/cli/status_view.ts";
import { cert, NO_STAPLE, NOW, snapshotOf } from "./_snapshots.ts";

const failing = {
  message: "x: connection refused",
  count: 3,
  firstAt: "2026-05-31T20:00:00.000Z",
  lastAt: "2026-05-31T23:00:00.000Z",
};

const snapshot = snapshotOf(
  cert("/c/good.pem", { hours: 72 }),
  cert("/c/soon.pem", { hours: 1 }),
  cert("/c/lab.pem", { ocspUrls: [], ...NO_STAPLE }),
  cert("/c/failing.pem", { hours: 30, lastError: failing }),
  cert("/c/expired.pem", { hours: -2, lastError: failing }),
  cert("/c/revoked.pem", { staple: "revoked", revocationTime: "2026-05-01T00:00:00.000Z" }),
  cert("/c/missing.pem", NO_STAPLE),
  cert("/c/missing-ms.pem", { ...NO_STAPLE, mustStaple: true }),
  cert("/c/bad.pem", {
    parsed: false,
    ocspUrls: [],
    ...NO_STAPLE,
    lastError: { ...failing, message: "bad.pem: no certificate found" },
  }),
);

Deno.test("byUrgency() puts revoked, expired-and-failing and missing staples first, Must-Staple first within one urgency", () => {
  assert.deepEqual(byUrgency(snapshot).map(({ cert, urgency }) => [cert.path, urgency]), [
    ["/c/revoked.pem", "revoked"],
    ["/c/expired.pem", "expired-failing"],
    ["/c/missing-ms.pem", "no-staple"],
    ["/c/missing.pem", "no-staple"],
    ["/c/bad.pem", "unreadable"],
    ["/c/failing.pem", "failing"],
    ["/c/soon.pem", "expiring"],
    ["/c/good.pem", "good"],
    ["/c/lab.pem", "no-ocsp"],
  ]);
});

Deno.test("renderStatus() prints the table in urgency order with Must-Staple marked and errors counted", () => {
  const text = renderStatus(snapshot);
  const lines = text.split("\n");
  assert.match(
    lines[0],
    /^stapled status \(from the running daemon\) at 2026-06-01T00:00:00.000Z: 9 certificate\(s\)$/,
  );
  assert.match(lines[1], /^STATE\s+MUST-STAPLE\s+VALID FOR\s+NEXT RENEWAL\s+CERTIFICATE\s+DETAIL$/);
  assert.match(lines[2], /^REVOKED .*\/c\/revoked\.pem .*revoked 2026-05-01T00:00:00\.000Z$/);
  assert.match(
    lines[3],
    /^NO STAPLE, FAILING .* expired .*\/c\/expired\.pem .*3x since 2026-05-31T20:00:00\.000Z: x: connection refused$/,
  );
  assert.match(lines[4], /^NO STAPLE\s+MUST-STAPLE .*\/c\/missing-ms\.pem/);
  assert.match(lines[8], /^EXPIRING .* 1h .*\/c\/soon\.pem/);
  assert.match(lines[9], /^good .* 3d .*\/c\/good\.pem/);
});

Deno.test("renderStatus({ json: true }) prints the snapshot as one JSON document", () => {
  const text = renderStatus(snapshot, { json: true });
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(snapshot)));
  assert.ok(text.endsWith("}\n"));
});

Deno.test("renderStatus() lists responders, down ones first, and what HAProxy serves differently", () => {
  const s = snapshotOf(cert("/c/a.pem"));
  s.source = "disk";
  s.responders = [
    {
      url: "http://up.test/",
      up: true,
      consecutiveFailures: 0,
      recentLatencySeconds: 0.12,
      lastSuccess: new Date(NOW).toISOString(),
    },
    { url: "http://down.test/", up: false, consecutiveFailures: 4, lastError: "refused" },
  ];
  s.served = [{ socket: "/run/h.sock", path: "/c/a.pem", state: "missing" }];
  const text = renderStatus(s);
  assert.match(text, /from the files on disk, no daemon answered/);
  assert.match(text, /HAProxy \/run\/h\.sock serves no staple/);
  const responders = text.split("\n").filter((l) => l.startsWith("http://"));
  assert.match(responders[0], /^http:\/\/down\.test\/\s+DOWN\s+4\s+-\s+never\s+refused$/);
  assert.match(responders[1], /^http:\/\/up\.test\/\s+up\s+0\s+120ms/);
});

Deno.test("formatDuration() shows the two largest units", () => {
  assert.equal(formatDuration(40), "40s");
  assert.equal(formatDuration(12 * 60 + 5), "12m");
  assert.equal(formatDuration(5 * 3600 + 12 * 60), "5h12m");
  assert.equal(formatDuration(3 * 86400), "3d");
});
