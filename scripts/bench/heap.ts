/**
 * Heap measurement for benchmarks: a full garbage collection (the bench runs
 * with `--v8-flags=--expose-gc`) after one turn of the event loop, so stale
 * references held by a suspended async frame are gone, then `heapUsed`.
 *
 * @module
 */

/** Whether `gc()` is available (the process runs with `--expose-gc`). */
export function canForceGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === "function";
}

/**
 * The V8 heap in use after a full collection.
 *
 * @returns Bytes (`Deno.memoryUsage().heapUsed`).
 * @throws {Error} When `gc()` is not exposed.
 */
export async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("Cannot measure the heap: run with --v8-flags=--expose-gc");
  // A macrotask turn drops references a suspended async frame still holds.
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}
