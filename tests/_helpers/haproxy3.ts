/**
 * Finds HAProxy 3.0 for the tests that need it (crt-store, `default-crt`,
 * `ocsp-update.mode`): `$HAPROXY3`, else /opt/haproxy3/bin/haproxy (what
 * scripts/ci/install_haproxy3.sh installs: Debian 13's package with its own
 * libraries, patched to start as a normal program). Outside CI a machine
 * without it skips those tests with a notice; under CI it is a failure
 * (`requirePeer`).
 *
 * @example
 * ```ts
 * import { HAPROXY3, haproxy3Check } from "../_helpers/haproxy3.ts";
 * Deno.test({ name: "...", ignore: !HAPROXY3 }, async () => {
 *   const { success, output } = await haproxy3Check("/tmp/x/haproxy.cfg");
 * });
 * ```
 *
 * @module
 */
import { requirePeer } from "./net.ts";

/** Where scripts/ci/install_haproxy3.sh puts HAProxy 3.0. */
export const DEFAULT_HAPROXY3 = "/opt/haproxy3/bin/haproxy";

/** The HAProxy 3.x binary and its version, or `undefined` when there is none. */
export const HAPROXY3: { path: string; version: string } | undefined = findHaproxy3();

requirePeer(
  HAPROXY3 !== undefined,
  `HAProxy 3.x (${DEFAULT_HAPROXY3} or $HAPROXY3; scripts/ci/install_haproxy3.sh installs it)`,
);

function envOrUndefined(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function findHaproxy3(): { path: string; version: string } | undefined {
  const path = envOrUndefined("HAPROXY3") ?? DEFAULT_HAPROXY3;
  try {
    const { success, stdout } = new Deno.Command(path, { args: ["-v"], stderr: "null" })
      .outputSync();
    if (!success) return undefined;
    const version = /HAProxy version (\d+\.\d+(?:\.\d+)?)/.exec(new TextDecoder().decode(stdout))
      ?.[1];
    return version && Number(version.split(".")[0]) >= 3 ? { path, version } : undefined;
  } catch {
    return undefined;
  }
}

/** What `haproxy -c` said. */
export interface Haproxy3CheckResult {
  /** Exit status 0. */
  success: boolean;
  /** stdout and stderr. */
  output: string;
}

/**
 * Runs `haproxy -c -f <config>` with HAProxy 3.x, in `cwd` (default `/`, as
 * systemd starts HAProxy), with a clean environment plus `env`.
 *
 * @param config The configuration file.
 * @param options Working directory and environment.
 * @returns Whether HAProxy accepted it, and what it printed.
 * @throws {Error} When there is no HAProxy 3.x.
 */
export async function haproxy3Check(
  config: string,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Haproxy3CheckResult> {
  if (!HAPROXY3) throw new Error("HAProxy 3.x is not installed");
  const { success, stdout, stderr } = await new Deno.Command(HAPROXY3.path, {
    args: ["-c", "-f", config],
    cwd: options.cwd ?? "/",
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...options.env },
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { success, output: decoder.decode(stdout) + decoder.decode(stderr) };
}
