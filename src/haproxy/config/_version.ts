/**
 * Compares HAProxy version strings (`2.6`, `2.6.12`, `2.4-dev19`, `2.8-rc1`)
 * for `version_atleast()` / `version_before()`, knowing that the version we
 * assume may be partial (`2.6` means "some 2.6 release").
 *
 * @module
 */

/** Result of comparing the assumed version with another. */
export type VersionOrder = "lt" | "eq" | "gt" | "ge" | "unknown";

interface Version {
  nums: number[];
  /** 0 dev, 1 pre, 2 rc, 3 release. */
  stage: number;
  stageNum: number;
}

const VERSION_REGEXP = /^(\d+(?:\.\d+)*)(?:-?(dev|pre|rc)(\d*))?/;
const STAGES: Record<string, number> = { dev: 0, pre: 1, rc: 2 };

function parseVersion(text: string): Version | undefined {
  const m = VERSION_REGEXP.exec(text);
  if (!m) return undefined;
  return {
    nums: m[1].split(".").map(Number),
    stage: m[2] === undefined ? 3 : STAGES[m[2]],
    stageNum: m[3] ? Number(m[3]) : 0,
  };
}

/**
 * Compares the assumed HAProxy version `ours` with `theirs`. When `ours` has
 * fewer components it stands for any release with that prefix: `2.6` vs
 * `2.6.0` is `"ge"`, `2.6` vs `2.6.5` is `"unknown"`.
 *
 * @param ours The version HAProxy is assumed to be.
 * @param theirs The version a condition names.
 * @returns How `ours` compares to `theirs`.
 */
export function compareVersions(ours: string, theirs: string): VersionOrder {
  const a = parseVersion(ours);
  const b = parseVersion(theirs);
  if (!a || !b) return "unknown";
  const length = Math.max(a.nums.length, b.nums.length);
  for (let i = 0; i < length; i++) {
    const x = a.nums[i];
    const y = b.nums[i] ?? 0;
    if (x === undefined) {
      if (b.nums.slice(i).some((n) => n !== 0)) return "unknown";
      return b.stage < 3 ? "gt" : "ge";
    }
    if (x !== y) return x < y ? "lt" : "gt";
  }
  if (a.stage !== b.stage) return a.stage < b.stage ? "lt" : "gt";
  if (a.stageNum !== b.stageNum) return a.stageNum < b.stageNum ? "lt" : "gt";
  return "eq";
}
