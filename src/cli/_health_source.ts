/**
 * Where `stapled status` and `stapled check` get their
 * {@linkcode HealthSnapshot}: the running daemon over its control socket,
 * or, when none answers, the files on disk (the engine's discovery in check
 * mode, then `healthFromDisk` with each file's staple and issuer file); and,
 * for `status --haproxy`, what each HAProxy socket serves against it.
 *
 * @module
 */
import type { StapledConfig } from "../config/config.ts";
import { ConfigError, SocketError } from "../errors/mod.ts";
import { formatSocketAddress, type HaproxySocketAddress } from "../haproxy/address.ts";
import { haproxyStapleFiles } from "../haproxy/config/mod.ts";
import {
  compareServed,
  type ExpectedStaple,
  type ServedHealth,
  showOcspResponses,
} from "../haproxy/runtime/show_ocsp_response.ts";
import { type CertOutcome, Engine, type ResolvedSources, resolveSources } from "../daemon/mod.ts";
import type { HealthSnapshot } from "../daemon/health.ts";
import { type DiskCertificate, healthFromDisk } from "../daemon/health_from_disk.ts";
import { askControlSocket } from "../service/control_socket.ts";

/** What discovery found: each certificate file and the sockets serving it. */
export interface Discovered {
  /** The certificate files, in the order found, with their staple and issuer file. */
  files: DiskCertificate[];
  /** The socket names serving each file. */
  socketsOf: Map<string, string[]>;
  /** The sockets of the configuration, by name. */
  sockets: Map<string, HaproxySocketAddress>;
}

/**
 * Finds the certificates a configuration names, as the daemon would (no
 * fetching, no writing).
 *
 * @param config The configuration.
 * @param resolved Its sources, when already resolved.
 * @returns The files and their sockets.
 * @throws {ConfigError} When the configuration names nothing to staple.
 */
export async function discover(
  config: StapledConfig,
  resolved?: ResolvedSources,
): Promise<Discovered> {
  if (config.certPaths.length === 0 && config.haproxyConfig.length === 0) {
    throw new ConfigError(
      "",
      "no daemon answered on the control socket and there is nothing to read: give certificate paths (-p PATH...) or --haproxy-config FILE",
    );
  }
  const sources = resolved ?? await resolveSources(config);
  const engine = new Engine<HaproxySocketAddress>({
    sources: sources.sources,
    mode: "check",
    fetchIssuer: config.fetchIssuer,
  });
  const outcomes = new Map<string, CertOutcome<HaproxySocketAddress>>();
  engine.on("outcome", (o) => outcomes.set(o.path, o));
  await engine.run();
  const files: DiskCertificate[] = [];
  const socketsOf = new Map<string, string[]>();
  for (const path of engine.certificates()) {
    const o = outcomes.get(path);
    if (!o) continue;
    const named = haproxyStapleFiles(path, o.source);
    files.push({
      path,
      naming: o.source.naming ?? "append",
      staplePath: named.staple,
      issuerFile: o.issuerDirFile ?? named.issuerFile,
    });
    socketsOf.set(path, [...new Set(o.sockets.map(formatSocketAddress))]);
  }
  return { files, socketsOf, sockets: sources.sockets };
}

/** Where a snapshot came from, and the discovery when one ran. */
export interface SnapshotResult {
  /** The health. */
  snapshot: HealthSnapshot;
  /** Set when the files on disk were read. */
  discovered?: Discovered;
}

/**
 * The daemon's snapshot, or the same from the files on disk when no daemon
 * listens on the control socket.
 *
 * @param config The configuration (control socket, paths, discovery options).
 * @returns The snapshot.
 * @throws {SocketError} When the control socket may not be used or answers badly.
 * @throws {ConfigError} When no daemon answers and nothing is configured.
 */
export async function healthSnapshot(config: StapledConfig): Promise<SnapshotResult> {
  if (config.controlSocket) {
    const answer = await askControlSocket(config.controlSocket);
    if (answer !== undefined) {
      const snapshot = answer as HealthSnapshot & { error?: string };
      if (snapshot.error !== undefined || snapshot.format !== 1) {
        throw new SocketError(
          config.controlSocket,
          `the daemon answered ${JSON.stringify(answer).slice(0, 200)}`,
        );
      }
      return { snapshot };
    }
  }
  const discovered = await discover(config);
  return { snapshot: await healthFromDisk(discovered.files), discovered };
}

/**
 * What each HAProxy socket serves for the certificates it serves, against
 * the staples in the snapshot. A socket that cannot be asked is reported in
 * `errors`, not as rows.
 *
 * @param snapshot The health (its `certIdKey`, `producedAt`, `thisUpdate`, `nextUpdate`).
 * @param discovered Which sockets serve which file.
 * @returns One row per certificate with an OCSP URL and socket, and the sockets' errors.
 */
export async function servedHealth(
  snapshot: HealthSnapshot,
  discovered: Discovered,
): Promise<{ served: ServedHealth[]; errors: string[] }> {
  const served: ServedHealth[] = [];
  const errors: string[] = [];
  for (const [name, address] of discovered.sockets) {
    const expected: ExpectedStaple[] = [];
    for (const c of snapshot.certificates) {
      if (!c.certIdKey || c.ocspUrls.length === 0) continue;
      if (!(discovered.socketsOf.get(c.path) ?? []).includes(name)) continue;
      const onDisk = c.staple !== "none" && c.producedAt && c.thisUpdate && c.nextUpdate
        ? {
          status: c.staple,
          producedAt: new Date(c.producedAt),
          thisUpdate: new Date(c.thisUpdate),
          nextUpdate: new Date(c.nextUpdate),
        }
        : undefined;
      expected.push({ path: c.path, key: c.certIdKey, ...(onDisk ? { onDisk } : {}) });
    }
    if (expected.length === 0) continue;
    try {
      served.push(...compareServed(name, expected, await showOcspResponses(address)));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return { served, errors };
}
