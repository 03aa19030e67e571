/**
 * Test helpers for the finder: temp trees, file system fault injection and a
 * fake clock.
 *
 * @module
 */

import type { FinderDirEntry, FinderFs, FinderStat, WatchClock } from "../../src/finder/mod.ts";

/**
 * Makes a temp directory holding the given files (contents "x" unless given);
 * names ending in "/" are directories.
 *
 * @param files Relative paths of the files to create.
 * @returns The absolute path of the directory (its real path).
 */
export async function makeTree(files: Record<string, string> | string[]): Promise<string> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "stapled-finder-" }));
  const entries = Array.isArray(files)
    ? files.map((f) => [f, "x"] as const)
    : Object.entries(files);
  for (const [name, content] of entries) {
    const path = `${root}/${name}`;
    if (name.endsWith("/")) {
      await Deno.mkdir(path, { recursive: true });
    } else {
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(path, content);
    }
  }
  return root;
}

/**
 * Removes a temp tree, restoring permissions first.
 *
 * @param root The tree's root.
 */
export async function removeTree(root: string): Promise<void> {
  await new Deno.Command("chmod", { args: ["-R", "u+rwx", root] }).output();
  await Deno.remove(root, { recursive: true });
}

/** The paths of found files relative to `root`. */
export function relative(root: string, files: { path: string }[]): string[] {
  return files.map((f) => f.path.slice(root.length + 1));
}

/** A permission error as Deno throws it for EACCES. */
export function eacces(path: string): Error {
  return new Deno.errors.PermissionDenied(`Permission denied (os error 13): ${path}`);
}

/**
 * File system calls that behave like Deno's except for the paths given.
 *
 * @param faults Per path, what `stat` or `readDir` throws.
 * @returns The calls, and a log of every path passed to them.
 */
export function faultyFs(
  faults: { stat?: Record<string, Error>; readDir?: Record<string, Error> },
): FinderFs & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    stat(path: string): Promise<FinderStat> {
      calls.push(`stat ${path}`);
      const fault = faults.stat?.[path];
      return fault ? Promise.reject(fault) : Deno.stat(path);
    },
    readDir(path: string): AsyncIterable<FinderDirEntry> {
      calls.push(`readDir ${path}`);
      const fault = faults.readDir?.[path];
      if (fault) {
        return {
          [Symbol.asyncIterator]() {
            return { next: () => Promise.reject(fault) };
          },
        };
      }
      return Deno.readDir(path);
    },
  };
}

/** A clock whose time moves only when told; timers run in order of due time. */
export class FakeClock implements WatchClock {
  #now = 0;
  #next = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  /** Milliseconds since the fake epoch. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at now + ms. */
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  /** Cancels a timer. */
  clearTimeout(id: unknown): void {
    this.#timers.delete(id as number);
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward, running the timers that fall due. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      }
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = end;
  }
}

/**
 * A full garbage collection now (the test process runs without
 * `--expose-gc`, so the flag is set and `gc` taken from a new context).
 */
export async function collectGarbage(): Promise<void> {
  const { default: v8 } = await import("node:v8");
  const { default: vm } = await import("node:vm");
  v8.setFlagsFromString("--expose-gc");
  // One turn of the event loop first, so no pending job still refers to what should go.
  await new Promise((resolve) => setTimeout(resolve, 0));
  (vm.runInNewContext("gc") as () => void)();
}
