/**
 * Small helpers for the config reader's tests: temp dirs, files, a fake
 * environment, and the fixtures folder.
 *
 * @module
 */

import { dirname } from "node:path";

/** Absolute path of a file under `fixtures/`. */
export function fixture(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).pathname;
}

/** Runs `fn` with a fresh temp dir, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-config-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes files (paths relative to `dir`, parents created); `null` makes a directory. */
export async function writeFiles(dir: string, files: Record<string, string | null>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    if (text === null) {
      await Deno.mkdir(path, { recursive: true });
    } else {
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeTextFile(path, text);
    }
  }
}

/** An `env` option that knows only `vars`. */
export function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => Object.hasOwn(vars, name) ? vars[name] : undefined;
}
