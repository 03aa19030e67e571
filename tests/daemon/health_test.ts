import assert from "node:assert/strict";
import { HealthBook } from "../../src/daemon/health.ts";
import { CertParsingError, OcspFetchError } from "../../src/errors/mod.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const H = 3_600_000;
const facts = {
  subject: "CN=www.example.test",
  san: ["DNS:www.example.test"],
  serial: "1001",
  ocspUrls: ["http://ocsp.example.test/"],
  mustStaple: true,
};

function good(clock: FakeClock, hours = 24) {
  const now = clock.now();
  return {
    status: "good" as const,
    thisUpdate: new Date(now - H),
    nextUpdate: new Date(now + hours * H),
    expiresAt: new Date(now + hours * H),
  };
}

Deno.test("HealthBook.snapshot() is plain JSON with the certificate's facts, staple and next renewal", () => {
  const clock = new FakeClock();
  const book = new HealthBook({ clock });
  book.certificateParsed("/c/www.pem", facts);
  book.stapled("/c/www.pem", good(clock), new Date(clock.now() + 12 * H));
  const snap = book.snapshot();
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
  assert.equal(snap.generatedAt, new Date(clock.now()).toISOString());
  assert.equal(snap.source, "daemon");
  const [c] = snap.certificates;
  assert.equal(c.path, "/c/www.pem");
  assert.equal(c.mustStaple, true);
  assert.equal(c.staple, "good");
  assert.equal(c.expiresAt, new Date(clock.now() + 24 * H).toISOString());
  assert.equal(c.nextRenewal, new Date(clock.now() + 12 * H).toISOString());
  assert.deepEqual(c.san, ["DNS:www.example.test"]);
  assert.equal(c.lastError, undefined);
});

Deno.test("HealthBook.failed() counts failures in a row with the first and last time; stapled() clears them", async () => {
  const clock = new FakeClock();
  const book = new HealthBook({ clock });
  book.certificateParsed("/c/www.pem", facts);
  book.stapled("/c/www.pem", good(clock));
  const first = clock.now();
  book.failed("/c/www.pem", new OcspFetchError("/c/www.pem", "http://o/", "connection refused"));
  await clock.advance(60_000);
  book.failed(
    "/c/www.pem",
    new OcspFetchError("/c/www.pem", "http://o/", "timed out"),
    new Date(clock.now() + 120_000),
  );
  const c = book.snapshot().certificates[0];
  assert.equal(c.staple, "good", "the staple in place stays");
  assert.deepEqual(c.lastError, {
    message: "/c/www.pem: http://o/: timed out",
    kind: "OcspFetchError",
    count: 2,
    firstAt: new Date(first).toISOString(),
    lastAt: new Date(clock.now()).toISOString(),
  });
  assert.equal(c.nextRenewal, new Date(clock.now() + 120_000).toISOString());
  book.stapled("/c/www.pem", good(clock));
  assert.equal(book.snapshot().certificates[0].lastError, undefined);
});

Deno.test("HealthBook marks a certificate whose file never parsed as parsed: false", () => {
  const book = new HealthBook({ clock: new FakeClock() });
  book.failed("/c/bad.pem", new CertParsingError("/c/bad.pem", "no certificate found"));
  const c = book.snapshot().certificates[0];
  assert.equal(c.parsed, false);
  assert.equal(c.staple, "none");
  assert.equal(c.lastError?.kind, "CertParsingError");
});

Deno.test("HealthBook keeps the last push per socket and counts pushes by socket and result", () => {
  const clock = new FakeClock();
  const book = new HealthBook({ clock });
  book.certificateParsed("/c/www.pem", facts);
  book.pushed("/c/www.pem", "/run/a.sock", "failed", "connection reset");
  book.pushed("/c/www.pem", "/run/a.sock", "ok");
  book.pushed("/c/www.pem", "/run/b.sock", "not-sent", "too big");
  const c = book.snapshot().certificates[0];
  assert.deepEqual(c.pushes.map((p) => [p.socket, p.result, p.message]), [
    ["/run/a.sock", "ok", undefined],
    ["/run/b.sock", "not-sent", "too big"],
  ]);
  assert.deepEqual(book.counters().pushes, [
    { socket: "/run/a.sock", result: "failed", count: 1 },
    { socket: "/run/a.sock", result: "ok", count: 1 },
    { socket: "/run/b.sock", result: "not-sent", count: 1 },
  ]);
});

Deno.test("HealthBook puts a responder down after three failures in a row and up at its next success", async () => {
  const clock = new FakeClock();
  const book = new HealthBook({ clock });
  const url = "http://ocsp.example.test/";
  book.responderResult(url, { ok: true, durationMs: 100 });
  book.responderResult(url, { ok: true, durationMs: 300 });
  for (let i = 0; i < 2; i++) {
    book.responderResult(url, { ok: false, error: new OcspFetchError("x", url, "refused") });
  }
  assert.equal(book.snapshot().responders[0].up, true);
  book.responderResult(url, {
    ok: false,
    durationMs: 10_000,
    error: new OcspFetchError("x", url, "timed out"),
  });
  let r = book.snapshot().responders[0];
  assert.equal(r.up, false);
  assert.equal(r.consecutiveFailures, 3);
  assert.equal(r.lastError, `x: ${url}: timed out`);
  assert.equal(r.recentLatencySeconds, 0.2);
  await clock.advance(1000);
  book.responderResult(url, { ok: true, durationMs: 200 });
  r = book.snapshot().responders[0];
  assert.equal(r.up, true);
  assert.equal(r.lastSuccess, new Date(clock.now()).toISOString());
  const counters = book.counters();
  assert.deepEqual(counters.fetches, [
    { responder: url, result: "ok", count: 3 },
    { responder: url, result: "OcspFetchError", count: 3 },
  ]);
  const [h] = counters.fetchDurations;
  assert.equal(h.host, "ocsp.example.test");
  assert.equal(h.count, 4);
  assert.deepEqual(h.buckets.find((b) => b.le === 0.25), { le: 0.25, count: 2 });
  assert.deepEqual(h.buckets.at(-1), { le: 10, count: 4 });
});

Deno.test("HealthBook forgets the staple when the certificate file now holds another serial", () => {
  const clock = new FakeClock();
  const book = new HealthBook({ clock });
  book.certificateParsed("/c/www.pem", facts);
  book.stapled("/c/www.pem", good(clock));
  book.certificateParsed("/c/www.pem", { ...facts, serial: "2002" });
  assert.equal(book.snapshot().certificates[0].staple, "none");
  book.removed("/c/www.pem");
  assert.equal(book.size, 0);
});

Deno.test("new HealthBook() refuses a downAfter below 1", () => {
  assert.throws(() => new HealthBook({ downAfter: 0 }), {
    name: "RangeError",
    message: "Cannot keep health: downAfter must be a positive integer, got 0",
  });
});

Deno.test("HealthBook gives back each certificate's CertID key, whether or not it ends with its serial", () => {
  const book = new HealthBook();
  const issuer = "3049300906052b0e03021a05000414" + "aa".repeat(20) + "0414" + "bb".repeat(20);
  const keys = {
    "/c/a.pem": { serial: "40b3", certIdKey: `${issuer}020240b3` },
    "/c/b.pem": { serial: "80c4", certIdKey: `${issuer}02030080c4` },
    "/c/c.pem": { serial: "1001", certIdKey: "30ff0102" },
    "/c/d.pem": { serial: "1002", certIdKey: "1002" },
  };
  for (const [path, k] of Object.entries(keys)) book.certificateParsed(path, { ...facts, ...k });
  book.certificateParsed("/c/e.pem", facts);
  const got = Object.fromEntries(
    book.snapshot().certificates.map((c) => [c.path, [c.serial, c.certIdKey]]),
  );
  assert.deepEqual(got, {
    ...Object.fromEntries(
      Object.entries(keys).map(([path, k]) => [path, [k.serial, k.certIdKey]]),
    ),
    "/c/e.pem": ["1001", undefined],
  });
});

Deno.test("HealthBook keeps every certificate's own times however many it knows", () => {
  const clock = new FakeClock();
  const book = new HealthBook({ clock });
  const now = clock.now();
  for (let i = 0; i < 300; i++) {
    const path = `/c/${String(i).padStart(3, "0")}.pem`;
    book.certificateParsed(path, { ...facts, serial: `${i}` });
    book.stapled(path, {
      status: "good",
      producedAt: new Date(now - i),
      thisUpdate: new Date(now - H - i),
      nextUpdate: new Date(now + H + i),
      expiresAt: new Date(now + 2 * H + i),
    }, new Date(now + 3 * H + i));
  }
  const certs = book.snapshot().certificates;
  assert.equal(certs.length, 300);
  certs.forEach((c, i) => {
    assert.equal(c.producedAt, new Date(now - i).toISOString());
    assert.equal(c.thisUpdate, new Date(now - H - i).toISOString());
    assert.equal(c.nextUpdate, new Date(now + H + i).toISOString());
    assert.equal(c.expiresAt, new Date(now + 2 * H + i).toISOString());
    assert.equal(c.nextRenewal, new Date(now + 3 * H + i).toISOString());
    assert.equal(c.revocationTime, undefined);
  });
});

Deno.test("HealthBook gives a file found after a removed one none of the removed one's staple or times", () => {
  const clock = new FakeClock();
  const book = new HealthBook({ clock });
  book.certificateParsed("/c/old.pem", facts);
  book.stapled("/c/old.pem", { ...good(clock), status: "revoked", revocationTime: new Date(0) });
  book.scheduled("/c/old.pem", new Date(clock.now() + H));
  book.removed("/c/old.pem");
  book.certificateParsed("/c/new.pem", { ...facts, serial: "2002" });
  const [c] = book.snapshot().certificates;
  assert.equal(c.path, "/c/new.pem");
  assert.equal(c.staple, "none");
  for (const field of ["thisUpdate", "nextUpdate", "expiresAt", "revocationTime", "nextRenewal"]) {
    assert.equal(c[field as keyof typeof c], undefined, field);
  }
});

Deno.test("HealthBook is not changed by later changes to the facts or snapshots it gave", () => {
  const book = new HealthBook();
  const given = { ...facts, san: [...facts.san], ocspUrls: [...facts.ocspUrls] };
  book.certificateParsed("/c/a.pem", given);
  book.certificateParsed("/c/b.pem", { ...facts, ocspUrls: [...facts.ocspUrls] });
  given.san.push("DNS:other.test");
  given.ocspUrls.push("http://other.test/");
  book.snapshot().certificates[0].ocspUrls.push("http://third.test/");
  for (const c of book.snapshot().certificates) {
    assert.deepEqual(c.san, facts.san);
    assert.deepEqual(c.ocspUrls, facts.ocspUrls);
  }
});
