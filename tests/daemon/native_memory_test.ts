/**
 * The engine's full collections: after every 1,000 certificates read and
 * when a burst ends, never when nothing was read.
 */
import assert from "node:assert/strict";
import { NativeMemory } from "../../src/daemon/_native_memory.ts";

Deno.test("a full collection runs after every 1,000 certificates read and once a burst ends", () => {
  let runs = 0;
  const memory = new NativeMemory(() => runs++);
  for (let i = 0; i < 2_500; i++) memory.read();
  assert.equal(runs, 2);
  memory.settled();
  assert.equal(runs, 3, "the 500 read since");
  memory.settled();
  assert.equal(runs, 3, "nothing read since: no collection");
  assert.equal(new NativeMemory(undefined).enabled, false);
});

Deno.test("stapled's runtime flags expose gc(), so the collections happen in the binary", async () => {
  const { RUNTIME_PERMISSIONS } = await import("../../src/service/permissions.ts");
  const v8 = RUNTIME_PERMISSIONS.find((f) => f.startsWith("--v8-flags="));
  assert.ok(v8?.split("=").slice(1).join("=").split(",").includes("--expose-gc"), v8);
});
