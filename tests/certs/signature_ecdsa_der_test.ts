/**
 * Issue 13 item 3: ecdsaDerToRaw() reads an ECDSA-Sig-Value with a bounded
 * reader of that one structure instead of asn1js. One case per DER rule,
 * and agreement with the parse-and-re-encode reference it replaced (what
 * OpenSSL's d2i + i2d comparison does) on many mutated signatures.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { ECDSASigValue } from "@peculiar/asn1-ecc";
import { ecdsaDerToRaw, MalformedSignatureError } from "../../src/certs/mod.ts";
import { parseDer } from "../../src/certs/_ecdsa_sig.ts";

const NOT_DER = /not a DER ECDSA-Sig-Value/;

/** An ECDSA-Sig-Value from the content bytes of r and s. */
function sigValue(r: number[], s: number[]): number[] {
  const body = [0x02, r.length, ...r, 0x02, s.length, ...s];
  return [0x30, ...derLength(body.length), ...body];
}

function derLength(n: number): number[] {
  return n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
}

function refused(der: number[], reason: RegExp, size = 32): void {
  assert.throws(() => ecdsaDerToRaw(new Uint8Array(der), size), (err: unknown) => {
    assert.ok(err instanceof MalformedSignatureError, String(err));
    assert.match(err.message, reason);
    return true;
  });
}

const ONE = [0x01];

Deno.test("ecdsaDerToRaw() requires the SEQUENCE tag 0x30 and INTEGER tags 0x02", () => {
  refused([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER); // SET
  refused([0x10, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER); // primitive form
  refused([0x30, 0x06, 0x03, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER); // BIT STRING r
  refused([0x30, 0x06, 0x02, 0x01, 0x01, 0x22, 0x01, 0x01], NOT_DER); // constructed s
  refused([0x30, 0x06, 0x0a, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER); // ENUMERATED r
});

Deno.test("ecdsaDerToRaw() refuses indefinite and non-minimal lengths, accepts a minimal long form", () => {
  refused([0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00], NOT_DER);
  refused([0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER);
  refused([0x30, 0x07, 0x02, 0x81, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER);
  refused([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x81, 0x01, 0x01], NOT_DER);
  // P-521 sizes: 66-byte values with a sign byte make a SEQUENCE of 138 bytes.
  const big = [0x00, 0x80, ...new Array(65).fill(0x11)];
  const p521 = sigValue(big, big);
  assert.deepEqual(p521.slice(0, 3), [0x30, 0x81, 138]);
  assert.equal(ecdsaDerToRaw(new Uint8Array(p521), 66).length, 132);
  // The same length with a leading zero length byte, or in two bytes.
  refused([0x30, 0x82, 0x00, 138, ...p521.slice(3)], NOT_DER, 66);
  refused([0x30, 0x81, 0x00], NOT_DER, 66);
});

Deno.test("ecdsaDerToRaw() refuses trailing bytes, a third element and lengths that do not fit", () => {
  const good = sigValue(ONE, ONE);
  refused([...good, 0x00], NOT_DER);
  refused([0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER);
  refused([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER); // SEQUENCE longer than the input
  refused([0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], NOT_DER); // s outside the SEQUENCE
  refused([0x30, 0x06, 0x02, 0x05, 0x01, 0x02, 0x01, 0x01], NOT_DER); // r runs past the SEQUENCE
  refused([0x30, 0x03, 0x02, 0x01, 0x01], NOT_DER); // no s
  refused([0x30, 0x00], NOT_DER);
  refused([0x30], NOT_DER);
  refused([], NOT_DER);
});

Deno.test("ecdsaDerToRaw() requires minimal positive INTEGERs no longer than the curve", () => {
  refused(sigValue([], ONE), /r is an empty INTEGER/);
  refused(sigValue(ONE, []), /s is an empty INTEGER/);
  refused(sigValue([0xff], ONE), /r is a negative INTEGER/);
  refused(sigValue([0x00, 0x7f], ONE), /r has a needless leading zero/);
  refused(sigValue(ONE, [0x00, 0x00]), /s has a needless leading zero/);
  refused(sigValue([0x01, 0x02, 0x03], ONE), /r is longer than the curve's 2 bytes/, 2);
  refused(sigValue([0x00, 0x80, 0x02, 0x03], ONE), /r is longer than the curve's 2 bytes/, 2);
  assert.deepEqual([...ecdsaDerToRaw(new Uint8Array(sigValue([0x00, 0xff, 0x01], [0x00])), 2)], [
    0xff,
    0x01,
    0x00,
    0x00,
  ]);
});

/** What the asn1js reader did: parse, re-encode, compare, then the INTEGER rules. */
function reference(der: Uint8Array, size: number): string {
  const value = parseDer(der, ECDSASigValue);
  if (!value) return "not DER";
  const rule = (content: Uint8Array, name: string): string | undefined => {
    if (content.length === 0) return `${name} empty`;
    if (content[0] & 0x80) return `${name} negative`;
    if (content[0] === 0 && content.length > 1 && !(content[1] & 0x80)) return `${name} zero`;
    if ((content[0] === 0 ? content.length - 1 : content.length) > size) return `${name} long`;
  };
  const r = new Uint8Array(value.r);
  const s = new Uint8Array(value.s);
  return rule(r, "r") ?? rule(s, "s") ??
    [...r.subarray(r[0] === 0 ? 1 : 0), 0xfe, ...s.subarray(s[0] === 0 ? 1 : 0)].join(",");
}

function outcome(der: Uint8Array, size: number): string {
  try {
    const raw = ecdsaDerToRaw(der, size);
    const strip = (v: Uint8Array) => {
      let i = 0;
      while (i < v.length && v[i] === 0) i++;
      return [...v.subarray(i)];
    };
    return [...strip(raw.subarray(0, size)), 0xfe, ...strip(raw.subarray(size))].join(",");
  } catch (err) {
    const m = (err as Error).message;
    if (NOT_DER.test(m)) return "not DER";
    const which = m.match(/: ([rs]) /)?.[1];
    if (/empty/.test(m)) return `${which} empty`;
    if (/negative/.test(m)) return `${which} negative`;
    if (/leading zero/.test(m)) return `${which} zero`;
    if (/longer/.test(m)) return `${which} long`;
    return m;
  }
}

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("ecdsaDerToRaw() agrees with the parse-and-re-encode reference on mutated signatures", () => {
  const random = prng(13);
  const byte = () => Math.floor(random() * 256);
  const interesting = [0x00, 0x01, 0x02, 0x30, 0x7f, 0x80, 0x81, 0x82, 0xff];
  const pick = () =>
    random() < 0.5 ? interesting[Math.floor(random() * interesting.length)] : byte();
  const value = (n: number) => {
    const v = Array.from({ length: n }, byte);
    if (v[0] & 0x80) v.unshift(0);
    while (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) v.shift();
    return v;
  };
  let compared = 0;
  for (const size of [2, 32, 48, 66]) {
    for (let i = 0; i < 600; i++) {
      const der = sigValue(value(1 + Math.floor(random() * size)), value(size));
      const mutated = [...der];
      for (let m = Math.floor(random() * 3); m >= 0; m--) {
        const at = Math.floor(random() * (mutated.length + 1));
        const op = random();
        if (op < 0.5) mutated[Math.min(at, mutated.length - 1)] = pick();
        else if (op < 0.7) mutated.splice(at, 0, pick());
        else if (op < 0.9) mutated.splice(at, 1);
        else mutated.length = at;
      }
      for (const bytes of [der, mutated]) {
        const input = new Uint8Array(bytes);
        assert.equal(outcome(input, size), reference(input, size), `size ${size}: ${bytes}`);
        compared++;
      }
    }
  }
  assert.equal(compared, 4800);
});
