/**
 * `stapled status [--json] [--haproxy]`: the health of every staple and
 * responder, from the running daemon (its control socket) or, when none
 * answers, from the files on disk with the daemon's path and discovery
 * options; with `--haproxy`, also what each HAProxy socket serves
 * (`show ssl ocsp-response`) against the staple on disk. Exit 0, or 1 when
 * a HAProxy socket could not be asked.
 *
 * @module
 */
import type { StapledConfig } from "../config/config.ts";
import { discover, healthSnapshot, servedHealth } from "./_health_source.ts";
import { renderStatus } from "./status_view.ts";

/** Options of {@linkcode runStatus}. */
export interface RunStatusOptions {
  /** Print one JSON document. @default false */
  json?: boolean;
  /** Also ask each HAProxy socket what it serves. @default false */
  haproxy?: boolean;
  /** Where the output goes. @default standard output */
  print?: (text: string) => void;
  /** Where a socket's error goes. @default standard error */
  warn?: (line: string) => void;
}

/**
 * Runs `stapled status`.
 *
 * @param config The configuration.
 * @param options `--json`, `--haproxy`, output.
 * @returns The exit status.
 * @throws {ConfigError} When no daemon answers and nothing is configured.
 * @throws {SocketError} When the control socket answers badly.
 *
 * @example Status of a directory without a daemon
 * ```ts
 * import { runStatus } from "./status.ts";
 * import { loadConfig } from "../config/config.ts";
 * import { parseCommandLine } from "../config/command_line.ts";
 * const dir = await Deno.makeTempDir();
 * const config = await loadConfig(parseCommandLine(["-p", dir, "--control-socket", `${dir}/c.sock`]));
 * let out = "";
 * console.assert(await runStatus(config, { json: true, print: (t) => out += t }) === 0);
 * console.assert(JSON.parse(out).source === "disk");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runStatus(
  config: StapledConfig,
  options: RunStatusOptions = {},
): Promise<number> {
  const {
    json = false,
    haproxy = false,
    print = (t: string) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
    warn = (l: string) => console.error(`stapled: ${l}`),
  } = options;
  const { snapshot, discovered } = await healthSnapshot(config);
  let code = 0;
  if (haproxy) {
    const { served, errors } = await servedHealth(snapshot, discovered ?? await discover(config));
    snapshot.served = served;
    for (const e of errors) warn(`cannot ask HAProxy what it serves: ${e}`);
    if (errors.length) code = 1;
  }
  print(renderStatus(snapshot, { json, minimumValidity: config.minimumValidity }));
  return code;
}
