/**
 * `--check-config`: reads everything stapled would read (config files,
 * HAProxy configurations, certificate paths, every certificate bundle) and
 * prints what it found: each certificate with its staple file, OCSP URLs,
 * issuer and sockets (and, for a certificate of a HAProxy configuration,
 * whether HAProxy loads its staple and why: `ssl-load-extra-files`), and
 * each socket. Contacts no responder and no socket.
 * Exit 0 when everything could be read, 2 when something could not.
 *
 * @module
 */
import { CertCache, hasOcsp, readBundle } from "../certs/mod.ts";
import { describeError, StapledError } from "../errors/mod.ts";
import { formatSocketAddress } from "../haproxy/address.ts";
import { haproxyStapleFiles } from "../haproxy/config/mod.ts";
import type { StapledConfig } from "../config/config.ts";
import { listSourceFiles, type ResolvedSources } from "./sources.ts";

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

/**
 * Prints the configuration check.
 *
 * @param config The configuration.
 * @param resolved The certificate sources and sockets.
 * @param print Where lines go. @default console.log
 * @returns The exit status: 0, or 2 when a file could not be read or parsed.
 */
export async function checkConfig(
  config: StapledConfig,
  resolved: ResolvedSources,
  print: (line: string) => void = console.log,
): Promise<number> {
  let problems = 0;
  print(`config files read: ${config.configFiles.length ? config.configFiles.join(", ") : "none"}`);
  if (config.haproxyConfig.length) {
    print(`HAProxy configurations: ${config.haproxyConfig.join(", ")}`);
  }
  for (const w of [...config.warnings, ...resolved.warnings]) print(`warning: ${w}`);
  const cache = new CertCache();
  let total = 0;
  let stapleable = 0;
  print("certificates:");
  const { files, warnings } = await listSourceFiles(resolved.sources);
  for (const w of warnings) print(`  warning: ${w}`);
  for (const file of files) {
    total++;
    const sockets = [...new Set(file.sockets.map(formatSocketAddress))];
    const via = sockets.length ? `; pushed to ${sockets.join(", ")}` : "; not pushed";
    const files = haproxyStapleFiles(file.path, file);
    try {
      const { issuerFile, issuerHint } = files;
      const bundle = await readBundle(file.path, { cache, issuerFile, issuerHint });
      if (!hasOcsp(bundle)) {
        print(`  ${file.path}: no OCSP URL, skipped`);
        continue;
      }
      stapleable++;
      const issuer = bundle.issuerSource === "bundle" ? "in the bundle" : `in ${issuerFile}`;
      const decision = files.decision ? ` (${files.decision})` : "";
      print(
        `  ${file.path}: OCSP ${
          bundle.ocspUrls.join(", ")
        }; issuer ${issuer}; staple ${files.staple}${decision}${via}`,
      );
    } catch (err) {
      problems++;
      const reason = err instanceof StapledError ? err.reason : describeError(err);
      print(`  ${file.path}: ERROR: ${reason}${await refusedStapleNote(err, files)}`);
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
