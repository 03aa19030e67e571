/**
 * Bundle parsing: how fast certificate bundle files are read and parsed
 * (leaf + issuing CA + key, the issuer shared through a `CertCache` as the
 * daemon does), and how much heap each parsed bundle keeps, with and
 * without the cache the daemon holds for its whole life.
 *
 * @module
 */
import { type CertBundle, CertCache, type NoOcspBundle, readBundle } from "../../src/certs/mod.ts";
import { heapAfterGc } from "./heap.ts";
import { atLeast, atMost, type Benchmark, type Row } from "./types.ts";

async function readAll(
  paths: readonly string[],
  cache: CertCache,
): Promise<(CertBundle | NoOcspBundle)[]> {
  const out: (CertBundle | NoOcspBundle)[] = [];
  for (const path of paths) out.push(await readBundle(path, { cache }));
  return out;
}

/** The bundle parsing benchmark. */
export const parseBenchmark: Benchmark = {
  name: "parse",
  title: "certificate bundles read and parsed, and the heap they keep",
  async run(ctx) {
    const count = ctx.quick ? 1_000 : 10_000;
    const dir = await ctx.bundleDir(count);
    const paths = (await ctx.leaves(count)).map((leaf) => `${dir}/${leaf.name}.pem`);
    await readAll(paths.slice(0, 200), new CertCache()); // warm up the JIT
    const held: { cache?: CertCache; bundles?: (CertBundle | NoOcspBundle)[] } = {
      cache: new CertCache(),
    };
    const started = performance.now();
    held.bundles = await readAll(paths, held.cache!);
    const seconds = (performance.now() - started) / 1000;
    const stapleable = held.bundles.filter((b): b is CertBundle => "issuer" in b);
    if (stapleable.length !== count) {
      throw new Error(`Cannot measure parsing: ${stapleable.length} of ${count} bundles usable`);
    }
    const issuers = new Set(stapleable.map((b) => b.issuer)).size;
    const cached = held.cache!.size;
    const withCache = await heapAfterGc();
    held.cache = undefined;
    const withoutCache = await heapAfterGc();
    held.bundles = undefined;
    stapleable.length = 0;
    const after = await heapAfterGc();
    const bench = "parse";
    const n = count.toLocaleString("en-US");
    return [
      {
        bench,
        metric: `${n} bundles read + parsed, sequential`,
        value: count / seconds,
        unit: "bundles/s",
        target: atLeast(500),
      },
      {
        bench,
        metric: "heap per bundle, bundle + its share of the CertCache",
        value: (withCache - after) / count,
        unit: "B",
        target: atMost(2048),
      },
      {
        bench,
        metric: "  of which the CertBundle itself",
        value: (withoutCache - after) / count,
        unit: "B",
      },
      {
        bench,
        metric: `  of which the CertCache (${cached} certificates in it)`,
        value: (withCache - withoutCache) / count,
        unit: "B",
      },
      {
        bench,
        metric: `distinct issuer objects among ${n} bundles of one CA`,
        value: issuers,
        unit: "",
        target: atMost(1),
      },
    ] satisfies Row[];
  },
};
