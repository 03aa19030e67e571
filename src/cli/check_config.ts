/**
 * `--check-config`: the engine's discovery and parsing, with fetching and
 * writing off, over everything stapled would read (config files, HAProxy
 * configurations, certificate paths, every certificate bundle); prints what
 * it found: each certificate with its staple file, OCSP URLs, issuer and
 * sockets (and, for a certificate of a HAProxy configuration, whether
 * HAProxy loads its staple and why: `ssl-load-extra-files`), and each
 * socket. Contacts no responder and no socket.
 * Exit 0 when everything could be read, 2 when something could not.
 *
 * @module
 */
import { describeError, StapledError } from "../errors/mod.ts";
import { formatSocketAddress, type HaproxySocketAddress } from "../haproxy/address.ts";
import { haproxyStapleFiles } from "../haproxy/config/mod.ts";
import type { StapledConfig } from "../config/config.ts";
import { type CertOutcome, Engine, type ResolvedSources } from "../daemon/mod.ts";

/**
 * When HAProxy loads a staple it cannot match to an issuer, it refuses to
 * start: name such a staple already on disk (left by an earlier run).
 */
async function refusedStapleNote(
  err: unknown,
  files: { staple: string; loadedAtStart: boolean },
): Promise<string> {
  const staple = files.staple;
  const missing = err instanceof StapledError && err.kind === "CertIssuerMissing";
  if (!missing || !files.loadedAtStart) return "";
  try {
    await Deno.lstat(staple);
  } catch {
    return "";
  }
  return `; ${staple} exists and makes HAProxy refuse to start: remove it`;
}

/** The line printed for one certificate, and whether it is a problem. */
async function lineOf(o: CertOutcome<HaproxySocketAddress>): Promise<[string, boolean]> {
  const files = haproxyStapleFiles(o.path, o.source);
  if (o.status === "skipped") return [`  ${o.path}: no OCSP URL, skipped`, false];
  if (o.status === "parsed" && (o.bundle || o.issuerFetch)) {
    const sockets = [...new Set(o.sockets.map(formatSocketAddress))];
    const via = o.source.haproxyUpdates
      ? "; not pushed (HAProxy updates it)"
      : sockets.length
      ? `; pushed to ${sockets.join(", ")}${
        o.source.haproxyPath ? ` as ${o.source.haproxyPath}` : ""
      }`
      : "; not pushed";
    const decision = files.decision ? ` (${files.decision})` : "";
    const fetch = o.issuerFetch;
    const what = fetch
      ? `issuer would be fetched from ${fetch.url} and written to ${fetch.file}`
      : `OCSP ${o.bundle!.ocspUrls.join(", ")}; issuer ${
        o.issuerDirFile
          ? `in ${o.issuerDirFile} (issuers-chain-path)`
          : o.bundle!.issuerSource === "bundle"
          ? "in the bundle"
          : `in ${o.source.issuerFile ?? files.issuerFile}`
      }`;
    return [`  ${o.path}: ${what}; staple ${files.staple}${decision}${via}`, false];
  }
  const reason = o.error instanceof StapledError ? o.error.reason : describeError(o.error);
  return [`  ${o.path}: ERROR: ${reason}${await refusedStapleNote(o.error, files)}`, true];
}

/**
 * Prints the configuration check.
 *
 * @param config The configuration.
 * @param resolved The certificate sources and sockets.
 * @param print Where lines go. @default console.log
 * @returns The exit status: 0, or 2 when a file could not be read or parsed.
 *
 * @example Check a directory
 * ```ts
 * import { checkConfig } from "./check_config.ts";
 * import { loadConfig } from "../config/config.ts";
 * import { parseCommandLine } from "../config/command_line.ts";
 * const dir = await Deno.makeTempDir();
 * const config = await loadConfig(parseCommandLine(["--check-config", "-p", dir]));
 * const lines: string[] = [];
 * const resolved = { sources: [{ paths: [dir] }], sockets: new Map(), warnings: [], files: [] };
 * console.assert(await checkConfig(config, resolved, (l) => lines.push(l)) === 0);
 * console.assert(lines.at(-1) === "0 certificate file(s), 0 with an OCSP URL, 0 unreadable or invalid");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkConfig(
  config: StapledConfig,
  resolved: ResolvedSources,
  print: (line: string) => void = console.log,
): Promise<number> {
  print(`config files read: ${config.configFiles.length ? config.configFiles.join(", ") : "none"}`);
  if (config.haproxyConfig.length) {
    print(`HAProxy configurations: ${config.haproxyConfig.join(", ")}`);
  }
  for (const w of [...config.warnings, ...resolved.warnings]) print(`warning: ${w}`);
  print("certificates:");
  const engine = new Engine<HaproxySocketAddress>({ sources: resolved.sources, mode: "check" });
  const outcomes = new Map<string, CertOutcome<HaproxySocketAddress>>();
  engine.on("warning", (w) => print(`  warning: ${w}`));
  engine.on("outcome", (o) => outcomes.set(o.path, o));
  await engine.run();
  let total = 0;
  let stapleable = 0;
  let problems = 0;
  for (const path of engine.certificates()) {
    const outcome = outcomes.get(path);
    if (!outcome) continue;
    total++;
    if (outcome.status === "parsed") stapleable++;
    const [line, problem] = await lineOf(outcome);
    if (problem) problems++;
    print(line);
  }
  const updated = [...outcomes.values()].filter((o) => o.source.haproxyUpdates);
  if (updated.length) {
    print(
      "HAProxy also updates these in memory (ocsp-update); stapled keeps their files fresh and does not push them:",
    );
    for (const o of updated) {
      print(
        `  ${o.path}: ${o.source.haproxyUpdates!.setting} at ${o.source.haproxyUpdates!.origin}`,
      );
    }
  }
  print("sockets:");
  for (const name of resolved.sockets.keys()) print(`  ${name}`);
  if (resolved.sockets.size === 0) {
    print(`  none${config.noHaproxySockets ? " (--no-haproxy-sockets)" : ""}`);
  }
  print(
    `${total} certificate file(s), ${stapleable} with an OCSP URL, ${problems} unreadable or invalid`,
  );
  return problems > 0 ? 2 : 0;
}
