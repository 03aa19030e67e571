import assert from "node:assert/strict";
import {
  evaluateHaproxyCondition,
  parseCrtList,
  readHaproxyConfig,
  tokenizeHaproxyLine,
} from "../../../src/haproxy/config/mod.ts";
import { readSocketAddress } from "../../../src/haproxy/address.ts";
import { withTempDir } from "./_helpers.ts";

/** mulberry32: a small seeded PRNG, so every run tries the same inputs. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [..." \t\\\"'$#{}[]*-().,!&|:@/\0\r\nax0Z_é\u{1F600}"];
const FRAGMENTS = [
  "global",
  "frontend f",
  "listen l",
  "defaults",
  "bind :443 ssl",
  "crt",
  "crt-list",
  "default-crt",
  "crt-base",
  "stats socket",
  "level admin",
  "level",
  "unix-bind prefix",
  "default-path origin",
  "ssl-load-extra-files none",
  "ssl-load-extra-del-ext",
  ".if",
  ".elif",
  ".else",
  ".endif",
  ".alert",
  "defined(X)",
  "streq(",
  "version_atleast(2.6.1)",
  "feature(QUIC)",
  "!",
  "&&",
  "||",
  "(",
  ")",
  '"${X-',
  '"$X"',
  "'",
  '"',
  "\\",
  "\\x4",
  "#",
  "ipv6@[::1]:1",
  ":0",
  "unix@",
  "a.pem",
  "/abs",
  "[alpn h2]",
  "\0",
  "\r",
];

function randomText(next: () => number, maxLength: number): string {
  const length = Math.floor(next() * maxLength);
  let text = "";
  for (let i = 0; i < length; i++) {
    text += next() < 0.3
      ? ` ${FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]} `
      : ALPHABET[Math.floor(next() * ALPHABET.length)];
    if (next() < 0.05) text += "\n";
  }
  return text;
}

Deno.test("the line tokenizer, condition evaluator, crt-list and socket parsers never throw on garbage", () => {
  const next = prng(0x5eed);
  for (let i = 0; i < 3000; i++) {
    const text = randomText(next, 80);
    const tokenized = tokenizeHaproxyLine(text, { env: () => (next() < 0.5 ? "a b" : undefined) });
    assert.ok(Array.isArray(tokenized.words));
    const condition = evaluateHaproxyCondition(text).value;
    assert.ok(condition === true || condition === false || condition === "unknown");
    assert.ok(Array.isArray(parseCrtList(text, "l.txt").entries));
    assert.equal(typeof readSocketAddress(text).ok, "boolean");
  }
});

Deno.test("readHaproxyConfig() never throws on random configurations and crt-lists", async () => {
  const next = prng(42);
  for (let i = 0; i < 300; i++) {
    const config = randomText(next, 400);
    const result = await readHaproxyConfig("/etc/h.cfg", {
      env: (name) => (name.length % 2 ? "v" : undefined),
      stat: (path) => {
        if (path === "/etc/h.cfg") return Promise.resolve({ isFile: true, isDirectory: false });
        const roll = next();
        if (roll < 0.3) return Promise.reject(new Deno.errors.NotFound(path));
        if (roll < 0.35) return Promise.reject(new Deno.errors.PermissionDenied(path));
        return Promise.resolve({ isFile: roll < 0.8, isDirectory: roll >= 0.8 });
      },
      readTextFile: (path) =>
        path === "/etc/h.cfg"
          ? Promise.resolve(config)
          : next() < 0.2
          ? Promise.reject(new Deno.errors.NotFound(path))
          : Promise.resolve(randomText(next, 100)),
      readDir: async function* () {},
    });
    assert.ok(result.warnings.every((w) => typeof w === "string"));
    assert.ok(result.certs.every((c) => c.path.startsWith("/")));
    assert.ok(
      result.sockets.every((s) => s.transport === "tcp" || s.path.startsWith("/")),
    );
  }
});

Deno.test("readHaproxyConfig() reads a file of random bytes without throwing", async () => {
  await withTempDir(async (dir) => {
    const next = prng(7);
    for (let i = 0; i < 20; i++) {
      const bytes = Uint8Array.from({ length: 4096 }, () => Math.floor(next() * 256));
      await Deno.writeFile(`${dir}/garbage.cfg`, bytes);
      const result = await readHaproxyConfig(`${dir}/garbage.cfg`);
      assert.deepEqual(result.configFiles, [`${dir}/garbage.cfg`]);
    }
  });
});
