/**
 * The engine's full collections: after every 1,000 certificates read or
 * staples fetched and every 25,000 recalled, and a thorough one when a
 * burst ends.
 */
import assert from "node:assert/strict";
import { NativeMemory } from "../../src/daemon/_native_memory.ts";

/** A NativeMemory whose collections are recorded: "plain" or the options' flavor. */
function recorded(): { memory: NativeMemory; runs: string[] } {
  const runs: string[] = [];
  const memory = new NativeMemory((options) => runs.push(options?.flavor ?? "plain"));
  return { memory, runs };
}

Deno.test("a full collection runs after every 1,000 certificates read", () => {
  const { memory, runs } = recorded();
  for (let i = 0; i < 2_500; i++) memory.read();
  assert.deepEqual(runs, ["plain", "plain"]);
  assert.equal(new NativeMemory(undefined).enabled, false);
});

Deno.test("a full collection runs after every 1,000 staples fetched, a fetch counting as a read", () => {
  const { memory, runs } = recorded();
  for (let i = 0; i < 999; i++) memory.fetched();
  assert.deepEqual(runs, []);
  memory.fetched();
  assert.deepEqual(runs, ["plain"]);
  for (let i = 0; i < 500; i++) {
    memory.read();
    memory.fetched();
  }
  assert.deepEqual(runs, ["plain", "plain"], "a cold certificate, read and fetched, counts twice");
});

Deno.test("a full collection runs after every 25,000 certificates recalled, a read counting as 25", () => {
  const { memory, runs } = recorded();
  for (let i = 0; i < 24_999; i++) memory.recalled();
  assert.deepEqual(runs, []);
  memory.recalled();
  assert.deepEqual(runs, ["plain"]);
  for (let i = 0; i < 24_975; i++) memory.recalled();
  memory.read();
  assert.deepEqual(runs, ["plain", "plain"]);
});

Deno.test("a thorough collection (compacting, last resort) runs whenever a burst ends, even when nothing was read", () => {
  const { memory, runs } = recorded();
  memory.settled();
  assert.deepEqual(runs, ["last-resort"], "a warm first pass reads nothing in full");
  for (let i = 0; i < 1_500; i++) memory.read();
  memory.settled();
  assert.deepEqual(runs, ["last-resort", "plain", "last-resort"]);
  for (let i = 0; i < 999; i++) memory.read();
  assert.equal(runs.length, 3, "the count starts again after a burst");
  memory.read();
  assert.deepEqual(runs, ["last-resort", "plain", "last-resort", "plain"]);
});

Deno.test("the runtime's gc() takes the thorough collection's options", async () => {
  const { default: v8 } = await import("node:v8");
  const { default: vm } = await import("node:vm");
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (options?: unknown) => unknown;
  assert.equal(gc({ type: "major", execution: "sync", flavor: "last-resort" }), undefined);
});

Deno.test("stapled's runtime flags expose gc(), so the collections happen in the binary", async () => {
  const { RUNTIME_PERMISSIONS } = await import("../../src/service/permissions.ts");
  const v8 = RUNTIME_PERMISSIONS.find((f) => f.startsWith("--v8-flags="));
  assert.ok(v8?.split("=").slice(1).join("=").split(",").includes("--expose-gc"), v8);
});
