import assert from "node:assert/strict";
import { HealthBook } from "../../src/daemon/health.ts";
import { OcspFetchError } from "../../src/errors/mod.ts";
import {
  parseListenAddress,
  renderMetrics,
  startMetricsServer,
} from "../../src/service/metrics.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

/** One sample of a parsed exposition. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME_REGEXP = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_REGEXP = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parses the Prometheus text format 0.0.4 strictly: HELP and TYPE once per
 * family and before its samples, samples only of the current family (with
 * _bucket/_sum/_count for histograms), valid names and escapes, no duplicate
 * series, histogram buckets cumulative with +Inf equal to _count.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith("\n"), "ends with a line feed");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const [, name] = /^# HELP (\S+) (.*)$/.exec(line) ?? assert.fail(`bad HELP: ${line}`);
      assert.match(name, NAME_REGEXP);
      assert.ok(!helps.has(name), `HELP twice for ${name}`);
      helps.add(name);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, name, type] =
        /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ??
          assert.fail(`bad TYPE: ${line}`);
      assert.ok(!types.has(name), `TYPE twice for ${name}`);
      types.set(name, type);
      current = name;
      continue;
    }
    assert.ok(!line.startsWith("#") && line !== "", `unexpected line ${JSON.stringify(line)}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line) ??
      assert.fail(`bad sample: ${line}`);
    const [, name, , body = "", raw] = m;
    const labels: Record<string, string> = {};
    let rest = body;
    while (rest.length) {
      const lm = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest) ??
        assert.fail(`bad labels: ${body}`);
      assert.match(lm[1], LABEL_REGEXP);
      assert.ok(!(lm[1] in labels), `label ${lm[1]} twice`);
      labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c);
      rest = rest.slice(lm[0].length);
    }
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    assert.ok(raw === "NaN" || !Number.isNaN(value), `bad value ${raw}`);
    assert.ok(current, `sample before any TYPE: ${line}`);
    const type = types.get(current)!;
    const allowed = type === "histogram"
      ? [`${current}_bucket`, `${current}_sum`, `${current}_count`]
      : [current];
    assert.ok(allowed.includes(name), `${name} outside its family ${current}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seen.has(key), `duplicate series ${key}`);
    seen.add(key);
    samples.push({ name, labels, value });
  }
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const byGroup = new Map<string, Sample[]>();
    for (const s of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le: _, ...rest } = s.labels;
      const k = JSON.stringify(rest);
      byGroup.set(k, [...(byGroup.get(k) ?? []), s]);
    }
    for (const [k, buckets] of byGroup) {
      const les = buckets.map((b) => b.labels.le === "+Inf" ? Infinity : Number(b.labels.le));
      assert.deepEqual(les, [...les].sort((a, b) => a - b), "buckets in order");
      assert.equal(les.at(-1), Infinity, "+Inf bucket last");
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(buckets[i].value >= buckets[i - 1].value, "cumulative");
      }
      const count = samples.find((s) =>
        s.name === `${family}_count` && JSON.stringify(s.labels) === k
      );
      assert.equal(count?.value, buckets.at(-1)!.value, "+Inf bucket = count");
    }
  }
  return { types, samples };
}

function value(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )?.value;
}

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
