/**
 * How a runtime client notices that HAProxy reloaded under a live
 * connection: the unix socket's path now names another socket file (a new
 * process bound it), or `show info` says the process behind the connection
 * is stopping (the old worker after a master-worker reload, where the path
 * keeps naming the same socket).
 *
 * @module
 */
import { type HaproxySocketAddress } from "../address.ts";
import { parseShowInfo } from "./_show_info.ts";

/** Which socket file a unix socket path named when the client connected. */
export interface SocketIdentity {
  /** The device of the socket file. */
  dev: number;
  /** Its inode. */
  ino: number | null;
}

/**
 * The dev and inode of a unix socket's path.
 *
 * @param address The socket.
 * @returns Its identity, or `undefined` for a TCP socket.
 * @throws {Deno.errors.NotFound} If the path does not exist (and other stat errors).
 *
 * @example A TCP socket has no identity
 * ```ts
 * import assert from "node:assert/strict";
 * import { socketIdentity } from "./_reload_detection.ts";
 * assert.ok(await socketIdentity({ transport: "tcp", hostname: "127.0.0.1", port: 9999 }) === undefined);
 * ```
 */
export async function socketIdentity(
  address: HaproxySocketAddress,
): Promise<SocketIdentity | undefined> {
  if (address.transport !== "unix") return undefined;
  const info = await Deno.stat(address.path);
  return { dev: info.dev, ino: info.ino };
}

/**
 * Why a unix socket's path no longer names the socket connected to, if it
 * does not.
 *
 * @param address The socket.
 * @param identity What the path named when the connection was made.
 * @returns The reason, or `undefined` when it is the same socket (or TCP).
 *
 * @example The socket path is gone
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathChange } from "./_reload_detection.ts";
 * const reason = await pathChange({ transport: "unix", path: "/nonexistent/admin.sock" }, { dev: 1, ino: 2 });
 * assert.ok(reason?.startsWith("the socket path is gone"));
 * ```
 */
export async function pathChange(
  address: HaproxySocketAddress,
  identity: SocketIdentity | undefined,
): Promise<string | undefined> {
  if (identity === undefined || address.transport !== "unix") return undefined;
  let now: SocketIdentity | undefined;
  try {
    now = await socketIdentity(address);
  } catch (err) {
    return `the socket path is gone (${err instanceof Error ? err.message : String(err)})`;
  }
  if (now?.dev === identity.dev && now.ino === identity.ino) return undefined;
  return "the socket path now names another socket (HAProxy reloaded or restarted)";
}

/**
 * Why the process that answered `show info` is on its way out, if it is.
 *
 * @param reply The reply to `show info`.
 * @returns The reason, or `undefined` when the process is not stopping.
 *
 * @example An old worker after a reload
 * ```ts
 * import assert from "node:assert/strict";
 * import { stoppingReason } from "./_reload_detection.ts";
 * assert.ok(stoppingReason("Pid: 26072\nStopping: 1\n") === "HAProxy process 26072 is stopping (reloaded)");
 * assert.ok(stoppingReason("Pid: 26073\nStopping: 0\n") === undefined);
 * ```
 */
export function stoppingReason(reply: string): string | undefined {
  const info = parseShowInfo(reply);
  if (!info.stopping) return undefined;
  return `HAProxy process ${info.pid ?? "(unknown pid)"} is stopping (reloaded)`;
}
