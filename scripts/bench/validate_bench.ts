/**
 * OCSP response validation: complete `validateOcspResponse` runs per
 * second (strict DER, CertID, responder, signature, times), for responses
 * signed by the issuing CA and by a delegated responder, with ECDSA P-256
 * and RSA-2048 keys, one at a time and 16 at once.
 *
 * @module
 */
import { type CertBundle, CertCache, parseBundle } from "../../src/certs/mod.ts";
import { certIdFor, validateOcspResponse, type ValidationContext } from "../../src/ocsp/mod.ts";
import { BenchPki } from "./fixtures.ts";
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
    return rows;
  },
};
