/**
 * A strict parser of the Prometheus text format 0.0.4, for the metrics tests.
 *
 * @module
 */
import assert from "node:assert/strict";

/** One sample of a parsed exposition. */
export interface Sample {
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
export function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
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

export function value(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )?.value;
}
