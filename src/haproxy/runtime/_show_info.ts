/**
 * Reads the fields of `show info` that tell which HAProxy process answers
 * and whether it is on its way out (a reload told it to stop).
 *
 * @module
 */

/** What `show info` says about the process behind a connection. */
export interface ProcessInfo {
  /** `Pid`, when given. */
  pid: number | undefined;
  /** `Stopping: 1`: the process was told to stop (reload) and serves no one new. */
  stopping: boolean;
}

/**
 * Parses a `show info` reply, for example (HAProxy 2.6, an old worker after
 * a reload):
 *
 * ```
 * Name: HAProxy
 * Version: 2.6.12-1+deb12u4
 * Pid: 26072
 * Uptime_sec: 6
 * Stopping: 1
 * ```
 *
 * @param reply The reply text.
 * @returns The pid and the stopping flag (`false` when the field is absent).
 *
 * @example Read the pid and the stopping flag
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShowInfo } from "./_show_info.ts";
 * const info = parseShowInfo("Name: HAProxy\nPid: 26072\nStopping: 1\n");
 * assert.ok(info.pid === 26072 && info.stopping);
 * ```
 */
export function parseShowInfo(reply: string): ProcessInfo {
  const fields = new Map<string, string>();
  for (const line of reply.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const pid = Number.parseInt(fields.get("Pid") ?? "", 10);
  return {
    pid: Number.isInteger(pid) ? pid : undefined,
    stopping: fields.get("Stopping") === "1",
  };
}
