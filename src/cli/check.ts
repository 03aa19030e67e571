/**
 * `stapled check [-v] [--minimum-validity N]`: a Nagios/Icinga probe over
 * the daemon's health (its control socket) or, when no daemon answers, the
 * files on disk. Exit 0 OK, 1 WARNING (a staple valid for less than the
 * minimum validity), 2 CRITICAL (no valid staple, or revoked), 3 UNKNOWN (it
 * cannot tell: any error, including a bad configuration).
 *
 * @module
 */
import type { StapledConfig } from "../config/config.ts";
import { healthSnapshot } from "./_health_source.ts";
import { checkHealth } from "./check_view.ts";

/** Options of {@linkcode runCheck}. */
export interface RunCheckOptions {
  /** One line per certificate that is not OK. @default false */
  verbose?: boolean;
  /** Where the output goes. @default standard output */
  print?: (text: string) => void;
}

/**
 * Runs `stapled check`; never throws: an error is UNKNOWN (3).
 *
 * @param config The configuration (its minimum validity is the threshold).
 * @param options `-v`, output.
 * @returns The exit status, 0 to 3.
 *
 * A probe that finds nothing to check cannot tell whether all is well (a
 * mistyped path, the wrong directory): a cert path that does not exist and
 * a run that finds no certificate file at all are UNKNOWN, never OK.
 *
 * @example No certificates and no daemon: UNKNOWN, not OK
 * ```ts
 * import { runCheck } from "./check.ts";
 * import { loadConfig } from "../config/config.ts";
 * import { parseCommandLine } from "../config/command_line.ts";
 * const dir = await Deno.makeTempDir();
 * const config = await loadConfig(parseCommandLine(["-p", dir, "--control-socket", `${dir}/c.sock`]));
 * let out = "";
 * console.assert(await runCheck(config, { print: (t) => out += t }) === 3);
 * console.assert(out.startsWith("OCSP UNKNOWN - found no certificate file"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runCheck(
  config: StapledConfig,
  options: RunCheckOptions = {},
): Promise<number> {
  const {
    verbose = false,
    print = (t: string) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
  } = options;
  let result;
  try {
    for (const path of config.certPaths) {
      try {
        await Deno.stat(path);
      } catch (err) {
        throw new Error(`cannot read cert path ${path}: ${(err as Error).message.split(":")[0]}`);
      }
    }
    const { snapshot } = await healthSnapshot(config);
    result = snapshot.certificates.length === 0
      ? checkHealth(undefined, {}, `found no certificate file in ${describePaths(config)}`)
      : checkHealth(snapshot, { minimumValidity: config.minimumValidity, verbose });
  } catch (err) {
    result = checkHealth(undefined, {}, oneLine(err));
  }
  print(result.output);
  return result.exitCode;
}

/** Where certificates were looked for, for the UNKNOWN line. */
function describePaths(config: StapledConfig): string {
  return [...config.certPaths, ...config.haproxyConfig].join(", ") || "no cert path";
}

/** An error as one line for the UNKNOWN output. */
function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}
