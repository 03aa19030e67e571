import assert from "node:assert/strict";
import { HealthBook } from "../../src/daemon/health.ts";
import { OcspFetchError } from "../../src/errors/mod.ts";
import {
  parseListenAddress,
  renderMetrics,
  startMetricsServer,
} from "../../src/service/metrics.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { parseExposition, value } from "./_prometheus.ts";

async function fedBook() {
  const clock = new FakeClock({ start: Date.parse("2026-06-01T00:00:00Z") });
  const book = new HealthBook({ clock });
  const H = 3_600_000;
  const now = clock.now();
  const weird = '/etc/ssl/we"ird\\name\n.pem';
  for (
    const path of [
      "/etc/ssl/a.pem",
      "/etc/ssl/revoked.pem",
      "/etc/ssl/none.pem",
      weird,
      "/etc/ssl/lab.pem",
    ]
  ) {
    book.certificateParsed(path, {
      subject: "CN=x",
      serial: "01",
      ocspUrls: path.includes("lab") ? [] : ["http://ocsp.example.test/"],
    });
  }
  const staple = {
    thisUpdate: new Date(now - H),
    nextUpdate: new Date(now + 24 * H),
    expiresAt: new Date(now + 24 * H),
  };
  book.stapled("/etc/ssl/a.pem", { status: "good", ...staple });
  book.stapled(weird, { status: "good", ...staple });
  book.stapled("/etc/ssl/revoked.pem", { status: "revoked", ...staple });
  book.responderResult("http://ocsp.example.test/", { ok: true, durationMs: 80 });
  book.responderResult("http://ocsp.example.test/", { ok: true, durationMs: 700 });
  for (let i = 0; i < 3; i++) {
    book.responderResult("http://down.example.test/x", {
      ok: false,
      durationMs: 10_000,
      error: new OcspFetchError("f", "u", "timed out"),
    });
  }
  book.pushed("/etc/ssl/a.pem", "/run/haproxy/admin.sock", "ok");
  book.pushed(weird, "/run/haproxy/admin.sock", "failed", "reset");
  book.scanned(1234);
  await clock.advance(1000);
  return { book, weird, expiry: (now + 24 * H) / 1000 };
}

Deno.test("renderMetrics() gives strictly valid text format with one series per certificate and escaped labels", async () => {
  const { book, weird, expiry } = await fedBook();
  const { types, samples } = parseExposition(
    renderMetrics(book.snapshot(), book.counters(), { version: "0.1.0" }),
  );
  assert.deepEqual(Object.fromEntries(types), {
    stapled_build_info: "gauge",
    stapled_certificates: "gauge",
    stapled_ocsp_response_next_update_timestamp_seconds: "gauge",
    stapled_ocsp_response_status: "gauge",
    stapled_ocsp_fetch_total: "counter",
    stapled_ocsp_fetch_duration_seconds: "histogram",
    stapled_responder_up: "gauge",
    stapled_haproxy_push_total: "counter",
    stapled_scan_duration_seconds: "gauge",
  });
  assert.equal(value(samples, "stapled_build_info", { version: "0.1.0" }), 1);
  assert.equal(value(samples, "stapled_certificates"), 5);
  assert.equal(
    value(samples, "stapled_ocsp_response_next_update_timestamp_seconds", { path: weird }),
    expiry,
  );
  assert.equal(value(samples, "stapled_ocsp_response_status", { path: "/etc/ssl/a.pem" }), 0);
  assert.equal(value(samples, "stapled_ocsp_response_status", { path: "/etc/ssl/revoked.pem" }), 1);
  assert.equal(value(samples, "stapled_ocsp_response_status", { path: "/etc/ssl/none.pem" }), 2);
  assert.equal(
    value(samples, "stapled_ocsp_response_status", { path: "/etc/ssl/lab.pem" }),
    undefined,
    "no OCSP URL: no series",
  );
  for (
    const name of [
      "stapled_ocsp_response_status",
      "stapled_ocsp_response_next_update_timestamp_seconds",
    ]
  ) {
    const paths = samples.filter((s) => s.name === name).map((s) => s.labels.path);
    assert.equal(new Set(paths).size, paths.length, `${name}: one series per certificate`);
  }
  assert.equal(
    value(samples, "stapled_ocsp_fetch_total", {
      responder: "http://ocsp.example.test/",
      result: "ok",
    }),
    2,
  );
  assert.equal(
    value(samples, "stapled_ocsp_fetch_total", {
      responder: "http://down.example.test/x",
      result: "OcspFetchError",
    }),
    3,
  );
  assert.equal(
    value(samples, "stapled_ocsp_fetch_duration_seconds_bucket", {
      host: "ocsp.example.test",
      le: "0.1",
    }),
    1,
  );
  assert.equal(
    value(samples, "stapled_ocsp_fetch_duration_seconds_bucket", {
      host: "ocsp.example.test",
      le: "1",
    }),
    2,
  );
  const sum = value(samples, "stapled_ocsp_fetch_duration_seconds_sum", {
    host: "ocsp.example.test",
  });
  assert.ok(Math.abs(sum! - 0.78) < 1e-9, `sum ${sum}`);
  assert.equal(
    value(samples, "stapled_responder_up", { responder: "http://down.example.test/x" }),
    0,
  );
  assert.equal(
    value(samples, "stapled_responder_up", { responder: "http://ocsp.example.test/" }),
    1,
  );
  assert.equal(
    value(samples, "stapled_haproxy_push_total", {
      socket: "/run/haproxy/admin.sock",
      result: "failed",
    }),
    1,
  );
  assert.equal(value(samples, "stapled_scan_duration_seconds"), 1.234);
});

Deno.test("the metrics server serves /metrics and /healthz over HTTP on loopback and stops on close()", async () => {
  const { book } = await fedBook();
  let healthy = true;
  const server = startMetricsServer({
    listen: "127.0.0.1:0",
    metrics: () => renderMetrics(book.snapshot(), book.counters(), { version: "0.1.0" }),
    healthy: () => healthy,
  });
  try {
    assert.equal(server.hostname, "127.0.0.1");
    const base = `http://127.0.0.1:${server.port}`;
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const { samples } = parseExposition(await res.text());
    assert.equal(value(samples, "stapled_certificates"), 5);
    const ok = await fetch(`${base}/healthz`);
    assert.deepEqual([ok.status, await ok.text()], [200, "ok\n"]);
    healthy = false;
    const bad = await fetch(`${base}/healthz`);
    assert.deepEqual([bad.status, await bad.text()], [503, "unhealthy\n"]);
    const missing = await fetch(`${base}/other`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  } finally {
    await server.close();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${server.port}/metrics`));
});

Deno.test("parseListenAddress() defaults to loopback for a bare port and takes a given host", () => {
  assert.deepEqual(parseListenAddress("9633"), { hostname: "127.0.0.1", port: 9633 });
  assert.deepEqual(parseListenAddress(":9633"), { hostname: "127.0.0.1", port: 9633 });
  assert.deepEqual(parseListenAddress("0.0.0.0:9633"), { hostname: "0.0.0.0", port: 9633 });
  assert.deepEqual(parseListenAddress("[::1]:9633"), { hostname: "::1", port: 9633 });
  assert.throws(() => parseListenAddress("host:99999"), {
    name: "RangeError",
    message: "Cannot listen for metrics on 'host:99999': expected host:port, [ipv6]:port or a port",
  });
});
