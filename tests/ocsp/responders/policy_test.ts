import assert from "node:assert/strict";
import {
  honourRetryAfter,
  jitter,
  MAX_RETRY_AFTER_MS,
  noProxyMatches,
  overrideResponder,
  parseResponderOverride,
  parseRetryAfter,
  proxyFor,
  proxySettingsFromEnv,
  responderKey,
} from "../../../src/ocsp/responders/mod.ts";
import { ConfigError } from "../../../src/errors/mod.ts";

Deno.test("responderKey() names scheme, host and port, the default port filled in", () => {
  assert.deepEqual(responderKey("http://OCSP.Example.test/r3"), {
    scheme: "http",
    host: "ocsp.example.test",
    port: 80,
    id: "http://ocsp.example.test:80",
  });
  assert.equal(responderKey("https://ocsp.example.test/").id, "https://ocsp.example.test:443");
  assert.equal(responderKey("http://[::1]:8080/x").id, "http://[::1]:8080");
  assert.notEqual(responderKey("http://a.test:81/").id, responderKey("http://a.test/").id);
});

Deno.test("jitter() spreads a delay uniformly over ±10 % by default", () => {
  assert.equal(jitter(60_000, { random: () => 0 }), 54_000);
  assert.equal(jitter(60_000, { random: () => 0.5 }), 60_000);
  assert.equal(jitter(60_000, { random: () => 0.999999 }), 66_000);
  assert.equal(jitter(1000, { fraction: 0.5, random: () => 0 }), 500);
  assert.equal(jitter(1000, { fraction: 0, random: () => 0.9 }), 1000);
  const seen = new Set(Array.from({ length: 200 }, () => jitter(3_600_000)));
  assert.ok(seen.size > 100, "different retries get different delays");
  for (const d of seen) assert.ok(d >= 3_240_000 && d <= 3_960_000, String(d));
});

Deno.test("jitter() refuses a negative delay and a fraction outside [0, 1]", () => {
  assert.throws(() => jitter(-1), RangeError);
  assert.throws(() => jitter(Infinity), RangeError);
  assert.throws(() => jitter(1000, { fraction: 1.5 }), RangeError);
});

Deno.test("parseRetryAfter() reads delta-seconds and HTTP-dates, and ignores anything else", () => {
  const now = Date.UTC(2025, 0, 1, 0, 0, 0);
  assert.equal(parseRetryAfter("0", now), 0);
  assert.equal(parseRetryAfter(" 120 ", now), 120_000);
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:05:00 GMT", now), 300_000);
  assert.equal(parseRetryAfter("Wednesday, 01-Jan-25 00:01:00 GMT", now), 60_000, "RFC 850");
  assert.equal(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now), 0, "a date in the past");
  assert.equal(parseRetryAfter("99999999999999999999", now), MAX_RETRY_AFTER_MS);
  for (const bad of [null, undefined, "", "soon", "-5", "1.5", "2025-01-01T00:05:00Z"]) {
    assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
  }
});

Deno.test("honourRetryAfter() keeps within the retry table: never sooner, at most 12 h", () => {
  assert.equal(honourRetryAfter(60_000, undefined), 60_000);
  assert.equal(honourRetryAfter(60_000, 1_000), 60_000);
  assert.equal(honourRetryAfter(60_000, 900_000), 900_000);
  assert.equal(honourRetryAfter(60_000, 7 * 86_400_000), 12 * 3_600_000);
  assert.equal(honourRetryAfter(60_000, 7_200_000, { maxMs: 3_600_000 }), 3_600_000);
  assert.equal(honourRetryAfter(3_600_000, 7_200_000, { maxMs: 60_000 }), 3_600_000);
});

Deno.test("noProxyMatches() follows curl: domains and subdomains, *, host:port, IPs and CIDR", () => {
  const cases: [string, number, string, boolean][] = [
    ["ocsp.corp.test", 80, "corp.test", true],
    ["corp.test", 80, "corp.test", true],
    ["ocsp.corp.test", 80, ".corp.test", true],
    ["corp.test", 80, ".corp.test", true],
    ["ocsp.corp.test", 80, "*.corp.test", true],
    ["notcorp.test", 80, "corp.test", false],
    ["OCSP.Corp.Test.", 80, "corp.test", true],
    ["ocsp.ca.test", 80, "a.test, corp.test", false],
    ["ocsp.ca.test", 80, "other.test ca.test", true],
    ["anything.test", 8080, "*", true],
    ["ocsp.ca.test", 8080, "ocsp.ca.test:8080", true],
    ["ocsp.ca.test", 80, "ocsp.ca.test:8080", false],
    ["127.0.0.1", 80, "127.0.0.1", true],
    ["127.0.0.2", 80, "127.0.0.1", false],
    ["10.20.30.40", 80, "10.0.0.0/8", true],
    ["11.0.0.1", 80, "10.0.0.0/8", false],
    ["192.168.1.7", 3128, "192.168.1.0/24:3128", true],
    ["[::1]", 80, "::1", true],
    ["[fd00::1234]", 80, "fd00::/8", true],
    ["[fe80::1]", 80, "fd00::/8", false],
    ["[::1]", 8080, "[::1]:8080", true],
    ["[::ffff:10.0.0.1]", 80, "::ffff:10.0.0.0/120", true],
    ["10.0.0.1", 80, "", false],
    ["10.0.0.1", 80, "fd00::/8", false],
    ["ocsp.test", 80, "*.", false],
  ];
  for (const [host, port, noProxy, expected] of cases) {
    assert.equal(noProxyMatches(host, port, noProxy), expected, `${host}:${port} vs "${noProxy}"`);
  }
});

Deno.test("proxyFor() picks the scheme's proxy, lets the explicit one win, and honours NO_PROXY", () => {
  const env = {
    httpProxy: "http://env-http.test:3128",
    httpsProxy: "env-https.test:3129",
    noProxy: "internal.test",
  };
  assert.equal(proxyFor("http://ocsp.ca.test/", env), "http://env-http.test:3128");
  assert.equal(proxyFor("https://ocsp.ca.test/", env), "http://env-https.test:3129");
  assert.equal(proxyFor("http://ocsp.internal.test/", env), undefined);
  const explicit = { ...env, explicit: "http://ops.test:8080" };
  assert.equal(proxyFor("http://ocsp.ca.test/", explicit), "http://ops.test:8080");
  assert.equal(proxyFor("https://ocsp.ca.test/", explicit), "http://ops.test:8080");
  assert.equal(proxyFor("http://ocsp.internal.test/", explicit), undefined);
  assert.equal(
    proxyFor("http://ocsp.ca.test/", { allProxy: "http://all.test:1" }),
    "http://all.test:1",
  );
  assert.equal(proxyFor("http://ocsp.ca.test/", {}), undefined);
});

Deno.test("proxySettingsFromEnv() reads lowercase before uppercase, and blank as unset", () => {
  const env: Record<string, string> = {
    http_proxy: "http://lower.test:1",
    HTTP_PROXY: "http://upper.test:1",
    HTTPS_PROXY: "http://upper-s.test:1",
    NO_PROXY: "a.test",
    no_proxy: " ",
  };
  assert.deepEqual(proxySettingsFromEnv((name) => env[name]), {
    httpProxy: "http://lower.test:1",
    httpsProxy: "http://upper-s.test:1",
  });
});

Deno.test("overrideResponder() maps a URL prefix at a path boundary, keeping the rest", () => {
  const rules = [parseResponderOverride("http://ocsp.ca.test/r3=http://mirror.internal:8080/r3")];
  assert.equal(
    overrideResponder("http://ocsp.ca.test/r3/MFMw", rules),
    "http://mirror.internal:8080/r3/MFMw",
  );
  assert.equal(
    overrideResponder("http://ocsp.ca.test/r3", rules),
    "http://mirror.internal:8080/r3",
  );
  assert.equal(
    overrideResponder("http://ocsp.ca.test:80/r3?x=1", rules),
    "http://mirror.internal:8080/r3?x=1",
  );
  assert.equal(overrideResponder("http://ocsp.ca.test/r30", rules), "http://ocsp.ca.test/r30");
  assert.equal(overrideResponder("https://ocsp.ca.test/r3", rules), "https://ocsp.ca.test/r3");
  assert.equal(overrideResponder("http://ocsp.ca.test:81/r3", rules), "http://ocsp.ca.test:81/r3");
  const whole = [parseResponderOverride("http://ocsp.ca.test=http://mirror.internal/ca/")];
  assert.equal(overrideResponder("http://ocsp.ca.test/", whole), "http://mirror.internal/ca/");
  assert.equal(overrideResponder("http://ocsp.ca.test/e1", whole), "http://mirror.internal/ca/e1");
});

Deno.test("overrideResponder() maps a host (and port) to another origin, keeping the path", () => {
  const rules = [
    parseResponderOverride("ocsp.ca.test:8080=http://first.internal"),
    parseResponderOverride("OCSP.CA.test=http://mirror.internal:8080/ca"),
  ];
  assert.equal(overrideResponder("http://ocsp.ca.test:8080/x", rules), "http://first.internal/x");
  assert.equal(
    overrideResponder("http://ocsp.ca.test/x", rules),
    "http://mirror.internal:8080/ca/x",
  );
  assert.equal(
    overrideResponder("https://ocsp.ca.test/", rules),
    "http://mirror.internal:8080/ca/",
  );
  assert.equal(overrideResponder("http://other.test/x", rules), "http://other.test/x");
  assert.equal(overrideResponder("http://other.test/x", []), "http://other.test/x");
});

Deno.test("overrideResponder() returns null for a responder disabled with an empty TO", () => {
  assert.equal(
    overrideResponder("http://ocsp.ca.test/", [parseResponderOverride("ocsp.ca.test=")]),
    null,
  );
});

Deno.test("parseResponderOverride() refuses a spec without '=', a bad FROM or a TO that is not http(s)", () => {
  for (
    const spec of [
      "ocsp.ca.test",
      "=http://x.test",
      "ldap://ca.test=http://x.test",
      "ca.test/path=http://x.test",
      "ca.test=ftp://x.test",
      "ca.test=not a url",
    ]
  ) {
    assert.throws(() => parseResponderOverride(spec), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, /^--ocsp-responder-override .*: .*\(expected FROM=TO/);
      return true;
    }, spec);
  }
  assert.deepEqual(parseResponderOverride(" ca.test = http://m.test/a=b "), {
    from: "ca.test",
    to: "http://m.test/a=b",
  });
});
