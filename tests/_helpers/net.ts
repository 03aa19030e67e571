/**
 * Network helpers for tests: free loopback ports and installed commands.
 *
 * @module
 */

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Whether this run is CI's (`CI=true`), where a missing peer is a failure, never a skip. */
export const UNDER_CI = Deno.env.get("CI") === "true";

/**
 * Fails when a peer the suite needs is missing under CI; elsewhere returns
 * whether it is there, so a developer's machine without it skips those tests.
 *
 * @param present Whether the peer was found.
 * @param what What is missing, for the message.
 * @returns `present`.
 * @throws {Error} Under CI, when `present` is false.
 */
export function requirePeer(present: boolean, what: string): boolean {
  if (!present && UNDER_CI) {
    throw new Error(`${what} is missing: under CI every peer must be installed (.ci/run)`);
  }
  if (!present) console.warn(`${what} is missing: the tests that need it are skipped`);
  return present;
}

/**
 * Whether a command exists on PATH. Under CI a missing command is a failure
 * (see {@linkcode requirePeer}).
 */
export async function hasCommand(name: string): Promise<boolean> {
  let found = false;
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    })
      .output();
    found = out.success;
  } catch {
    found = false;
  }
  return requirePeer(found, `the command ${name}`);
}
