/**
 * Which sockets a certificate's staple goes to, and how: the sockets of
 * every source listing it, except those of sources whose HAProxy updates the
 * staple itself (`ocsp-update on`: stapled keeps the file fresh and leaves
 * HAProxy's memory to HAProxy), grouped by what the runtime client needs
 * (HAProxy's name for the certificate, its issuer file), so the common case
 * is one push to all sockets.
 *
 * @module
 */
import type { CertEntry } from "./_stages.ts";
import type { CertSource, StaplePushOptions } from "./types.ts";

/** One push: the sockets, and the options when there are any. */
export interface PushGroup<Socket> {
  sockets: Socket[];
  options?: StaplePushOptions;
}

/**
 * The pushes for a certificate.
 *
 * @param sources The engine's sources.
 * @param entry The certificate.
 * @returns The pushes, in source order (none when every source's HAProxy updates it).
 *
 * @example A crt-store certificate, and the same file where HAProxy updates it itself
 * ```ts
 * import assert from "node:assert/strict";
 * import { pushGroups } from "./_push.ts";
 * const sources = [
 *   { paths: ["/c/k1.pem"], sockets: ["a.sock"], haproxyPath: "@web/k1.pem" },
 *   { paths: ["/c/k1.pem"], sockets: ["b.sock"], haproxyUpdates: { origin: "h.cfg:9", setting: "ocsp-update on" } },
 * ];
 * const entry = { path: "/c/k1.pem", sources: new Set([0, 1]), fileFailures: 0, renewFailures: 0, urlIndex: 0, recycle: false };
 * assert.deepEqual(pushGroups(sources, entry), [
 *   { sockets: ["a.sock"], options: { runtimeName: "@web/k1.pem" } },
 * ]);
 * ```
 */
export function pushGroups<Socket>(
  sources: readonly CertSource<Socket>[],
  entry: CertEntry,
): PushGroup<Socket>[] {
  const groups = new Map<string, PushGroup<Socket>>();
  for (const index of entry.sources) {
    const source = sources[index];
    if (!source || source.haproxyUpdates || !source.sockets?.length) continue;
    const options: StaplePushOptions = {};
    if (source.haproxyPath !== undefined) options.runtimeName = source.haproxyPath;
    if (entry.issuerFile !== undefined) options.issuerFile = entry.issuerFile;
    const key = JSON.stringify(options);
    const group = groups.get(key) ??
      { sockets: [], ...(Object.keys(options).length ? { options } : {}) };
    group.sockets.push(...source.sockets);
    groups.set(key, group);
  }
  return [...groups.values()];
}
