/**
 * Where certificates come from and which HAProxy sockets serve them: `-p`
 * paths paired by position with `-s` sockets (as in the original), and every
 * `crt`, crt-list entry and certificate directory of the `--haproxy-config`
 * files, each with the sockets of its own configuration. Entries that share
 * sockets, naming and finder options are grouped into one source, so 10,000
 * `crt` lines make one scanner and one file watch, not 10,000. Which
 * sockets a certificate file is pushed to is then the engine's one mapping:
 * those of every source listing it.
 *
 * @module
 */
import type { CertSource } from "./types.ts";
import { type HaproxySocketAddress, parseSocketAddress } from "../haproxy/address.ts";
import { formatSocketAddress } from "../haproxy/address.ts";
import { type HaproxyCertEntry, readHaproxyConfigs } from "../haproxy/config/mod.ts";
import type { StapledConfig } from "../config/config.ts";

/** Certificate sources and what reading the HAProxy configurations said. */
export interface ResolvedSources {
  /** The sources, grouped. */
  sources: CertSource<HaproxySocketAddress>[];
  /** Every distinct socket, by name. */
  sockets: Map<string, HaproxySocketAddress>;
  /** Warnings from the HAProxy configurations (`file:line: message`). */
  warnings: string[];
  /** HAProxy configuration and crt-list files read (watched for changes). */
  files: string[];
}

/**
 * What a HAProxy configuration says of one certificate beyond its path:
 * its crt-store line, named staple and issuer files, HAProxy's own updater,
 * `issuers-chain-path`, and, for a crt-store certificate, its runtime API
 * name (`@web/k1.pem`; other certificates are found by path in
 * `show ssl cert`). Absent fields are left out, so such entries group as
 * before.
 */
function haproxyFilesOf(entry: HaproxyCertEntry): Partial<CertSource<HaproxySocketAddress>> {
  const files: Partial<CertSource<HaproxySocketAddress>> = {};
  if (entry.crtStore) files.crtStore = entry.crtStore;
  if (entry.stapleFile !== undefined) files.stapleFile = entry.stapleFile;
  if (entry.issuerFile !== undefined) files.issuerFile = entry.issuerFile;
  if (entry.haproxyUpdates) files.haproxyUpdates = entry.haproxyUpdates;
  if (entry.issuersChainPath !== undefined) files.issuersChainPath = entry.issuersChainPath;
  if (entry.crtStore && entry.kind === "file") files.haproxyPath = entry.haproxyPath;
  return files;
}

/** Options of {@linkcode resolveSources}. */
export interface ResolveSourcesOptions {
  /** Environment lookup for HAProxy config variables. @default Deno.env.get */
  env?: (name: string) => string | undefined;
}

/**
 * Builds the certificate sources of a configuration.
 *
 * @param config The configuration.
 * @param options Environment lookup.
 * @returns The sources, sockets and warnings.
 * @throws {ConfigError} For an unreadable HAProxy configuration or a socket address stapled cannot use.
 *
 * @example `-p` paths paired with `-s` sockets
 * ```ts
 * import { resolveSources } from "./sources.ts";
 * import { loadConfig } from "../config/config.ts";
 * import { parseCommandLine } from "../config/command_line.ts";
 * const config = await loadConfig(
 *   parseCommandLine(["-p", "/etc/ssl/a", "/etc/ssl/b", "-s", "/run/a.sock", "/run/b.sock"]),
 * );
 * const { sources, sockets } = await resolveSources(config);
 * console.assert(sources.length === 2 && sockets.size === 2);
 * ```
 */
export async function resolveSources(
  config: StapledConfig,
  options: ResolveSourcesOptions = {},
): Promise<ResolvedSources> {
  const find = {
    extensions: config.fileExtensions,
    recursive: config.recursive,
    ignore: config.ignore,
  };
  const pushing = !config.noHaproxySockets;
  const groups = new Map<string, CertSource<HaproxySocketAddress>>();
  const sockets = new Map<string, HaproxySocketAddress>();
  const warnings: string[] = [];
  const files: string[] = [];
  const add = (path: string, source: Omit<CertSource<HaproxySocketAddress>, "paths">) => {
    const list = pushing ? [...(source.sockets ?? [])] : [];
    for (const s of list) sockets.set(formatSocketAddress(s), s);
    const key = JSON.stringify([
      list.map(formatSocketAddress),
      source.naming ?? "append",
      source.find,
      source.extraFiles,
      source.crtStore,
      source.stapleFile,
      source.issuerFile,
      source.haproxyUpdates,
      source.issuersChainPath,
      source.haproxyPath,
    ]);
    const group = groups.get(key);
    if (group) group.paths.push(path);
    else groups.set(key, { ...source, sockets: list, paths: [path] });
  };

  config.certPaths.forEach((path, i) => {
    const socket = config.haproxySockets[i];
    add(path, { find, sockets: socket ? [parseSocketAddress(socket)] : [] });
  });

  if (config.haproxyConfig.length > 0) {
    const env = options.env ?? ((name: string) => Deno.env.get(name));
    const results = await readHaproxyConfigs(config.haproxyConfig, { env });
    for (const result of results) {
      warnings.push(...result.warnings);
      files.push(...result.configFiles, ...result.crtListFiles);
      const own = result.sockets.map((s): HaproxySocketAddress =>
        s.transport === "unix"
          ? { transport: "unix", path: s.path }
          : { transport: "tcp", hostname: s.hostname, port: s.port }
      );
      for (const entry of result.certs) {
        add(entry.path, {
          // HAProxy loads every file of a crt directory but dotfiles and siblings.
          find: entry.kind === "dir" ? { ...find, extensions: ["*"], recursive: false } : find,
          sockets: own,
          naming: entry.stapleNaming,
          extraFiles: entry.extraFiles,
          ...haproxyFilesOf(entry),
        });
      }
      if (result.certs.length === 0) {
        warnings.push(
          `${
            result.configFiles[0] ?? "HAProxy configuration"
          }: serves no certificate (no crt on a bind line)`,
        );
      }
      if (pushing && result.sockets.length === 0 && result.certs.length > 0) {
        warnings.push(
          `${
            result.configFiles[0]
          }: has no stats socket; staples are written but not pushed (add "stats socket /run/haproxy/admin.sock level admin" to its global section)`,
        );
      }
    }
  }
  return { sources: [...groups.values()], sockets, warnings, files };
}
