/**
 * OCSP response validation: complete `validateOcspResponse` runs per
 * second (strict DER, CertID, responder, signature, times), for responses
 * signed by the issuing CA and by a delegated responder, with ECDSA P-256
 * and RSA-2048 keys, one at a time and 16 at once; and the CPU one ECDSA
 * P-256 signature check costs in Deno's WebCrypto, beside OpenSSL's.
 *
 * @module
 */
import { type CertBundle, CertCache, parseBundle } from "../../src/certs/mod.ts";
import { certIdFor, validateOcspResponse, type ValidationContext } from "../../src/ocsp/mod.ts";
import { BenchPki } from "./fixtures.ts";
import { cpuSeconds } from "./proc.ts";
import { atLeast, type Benchmark, type Row } from "./types.ts";

/** Validations per second every case should reach: 10,000 in under a minute. */
const TARGET_PER_SECOND = 170;

interface Case {
  der: Uint8Array;
  ctx: ValidationContext;
}

async function validateMany(cases: readonly Case[], total: number, concurrency: number) {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < total) {
      const c = cases[next++ % cases.length];
      const result = await validateOcspResponse(c.der, { ...c.ctx, now: new Date() });
      if (result.status !== "good") throw new Error("Cannot benchmark: a response is not good");
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function makeCases(
  pki: BenchPki,
  leafCount: number,
  delegated: boolean,
  cache: CertCache,
): Promise<Case[]> {
  const leaves = await pki.leaves(leafCount, "http://127.0.0.1:9/");
  const responses = await pki.responses(leaves, { delegated });
  const encoder = new TextEncoder();
  const cases: Case[] = [];
  for (const leaf of leaves) {
    const bundle = await parseBundle(
      `/bench/${leaf.name}.pem`,
      encoder.encode(pki.bundleText(leaf)),
      {
        cache,
      },
    ) as CertBundle;
    cases.push({
      der: responses.get(leaf.serialHex)!,
      ctx: {
        file: bundle.path,
        certId: await certIdFor(bundle.issuer, bundle.leaf.serial),
        issuer: bundle.issuer,
        now: new Date(),
        certNotAfter: bundle.leaf.notAfter,
        cache,
      },
    });
  }
  return cases;
}

/**
 * The CPU one ECDSA P-256 signature check costs in Deno's WebCrypto (a key
 * imported once, `count` checks one after another), against OpenSSL's own
 * (`openssl speed ecdsap256`): the floor under a cold certificate's two
 * checks, the leaf's and its response's.
 */
async function signatureCheckRows(count: number): Promise<Row[]> {
  const ecdsa = { name: "ECDSA", hash: "SHA-256" } as const;
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const data = crypto.getRandomValues(new Uint8Array(600));
  const signature = await crypto.subtle.sign(ecdsa, keys.privateKey, data);
  const before = await cpuSeconds("self");
  for (let i = 0; i < count; i++) {
    if (!await crypto.subtle.verify(ecdsa, keys.publicKey, signature, data)) {
      throw new Error("Cannot benchmark: a signature does not verify");
    }
  }
  const deno = (await cpuSeconds("self") - before) * 1000 / count;
  const rows: Row[] = [{
    bench: "validate",
    metric: "one ECDSA P-256 signature check, crypto.subtle.verify: CPU each",
    value: deno,
    unit: "ms",
    digits: 3,
  }];
  const openssl = await opensslVerifyMs();
  if (openssl !== undefined) {
    rows.push({
      bench: "validate",
      metric: "  the same in OpenSSL (openssl speed ecdsap256)",
      value: openssl,
      unit: "ms",
      digits: 3,
    });
  }
  return rows;
}

/** OpenSSL's time per P-256 verification, or undefined without openssl. */
async function opensslVerifyMs(): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("openssl", {
      args: ["speed", "-seconds", "1", "ecdsap256"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const table = new TextDecoder().decode(out.stdout);
    const perSecond = /nistp256\)\s+\S+\s+\S+\s+\S+\s+([\d.]+)/.exec(table)?.[1];
    return perSecond ? 1000 / Number(perSecond) : undefined;
  } catch {
    return undefined;
  }
}

/** The validation benchmark. */
export const validateBenchmark: Benchmark = {
  name: "validate",
  title: "OCSP responses validated per second",
  async run(ctx) {
    const leafCount = ctx.quick ? 50 : 200;
    const total = ctx.quick ? 300 : 1_000;
    const rows: Row[] = [];
    for (const [key, label] of [["ec", "ECDSA P-256"], ["rsa", "RSA-2048"]] as const) {
      const pki = await BenchPki.create({ key });
      for (const delegated of [false, true]) {
        const cache = new CertCache();
        const cases = await makeCases(pki, leafCount, delegated, cache);
        await validateMany(cases, cases.length, 1); // warm up
        for (const concurrency of [1, 16]) {
          const started = performance.now();
          await validateMany(cases, total, concurrency);
          const seconds = (performance.now() - started) / 1000;
          rows.push({
            bench: "validate",
            metric: `${delegated ? "delegated-signed" : "CA-signed"}, ${label}, ${
              concurrency === 1 ? "sequential" : "16 concurrent"
            }`,
            value: total / seconds,
            unit: "/s",
            target: atLeast(TARGET_PER_SECOND),
          });
        }
      }
      ctx.progress(`validation with ${label} keys measured`);
    }
    rows.push(...await signatureCheckRows(total));
    return rows;
  },
};
