/**
 * The options of a runtime client, their defaults and their checks, and the
 * settings they resolve to.
 *
 * @module
 */
import { DEFAULTS } from "../../config/defaults.ts";
import { type Clock, systemClock } from "../../scheduler/clock.ts";

/** Options of {@link HaproxyRuntimeClient}. */
export interface HaproxyRuntimeClientOptions {
  /**
   * Seconds HAProxy keeps the idle connection open (`set timeout cli`),
   * from `--haproxy-socket-keepalive`.
   * @default DEFAULTS.haproxySocketKeepalive (`--haproxy-socket-keepalive`; the original used 3600)
   */
  keepaliveSeconds?: number;
  /**
   * Milliseconds one command may take, connecting included; past it the
   * connection is dropped and the command fails with a `SocketError`.
   * @default 10000
   */
  commandTimeoutMs?: number;
  /**
   * Milliseconds before the first reconnection attempt; each failure doubles it.
   * @default 1000
   */
  reconnectDelayMs?: number;
  /**
   * The longest wait between reconnection attempts, in milliseconds.
   * @default 60000
   */
  maxReconnectDelayMs?: number;
  /**
   * Milliseconds between checks of an open connection for a HAProxy reload:
   * a `stat` of a unix socket's path (a new socket there means a new
   * process) and `show info` (`Stopping: 1` means the process behind the
   * connection was told to stop, as the old worker is after a master-worker
   * reload, where the path keeps naming the same socket). The path is also
   * checked before each command. A connection that answers a check is
   * healthy: only then does the reconnection backoff start again at
   * `reconnectDelayMs`.
   * @default 5000
   */
  reloadCheckMs?: number;
  /**
   * Abort a `set ssl cert` transaction that is open for the very certificate
   * being bootstrapped (most likely left by an interrupted earlier push)
   * instead of failing. A transaction for another file is never touched.
   * @default true
   */
  abortOpenTransaction?: boolean;
  /**
   * Where deadlines, backoff waits and reload checks get their timers.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Resolves a path to its real path, to find HAProxy's name for a file.
   * @default Deno.realPath
   */
  realPath?: (path: string) => Promise<string>;
  /**
   * Reads a file (the certificate bundle and its `.issuer` file, when a
   * certificate is bootstrapped).
   * @default Deno.readFile
   */
  readFile?: (path: string) => Promise<Uint8Array>;
}

/** Where a client stands with its socket. */
export type RuntimeClientStatus = "idle" | "connected" | "reconnecting" | "closed";

/** The options with their defaults applied. */
export type ClientSettings = Required<HaproxyRuntimeClientOptions>;

/**
 * Applies the defaults and checks the durations.
 *
 * @param options What the caller gave.
 * @returns Every setting.
 * @throws {RangeError} If a duration is not a positive integer.
 *
 * @example Defaults, and a refused duration
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveClientOptions } from "./_options.ts";
 * assert.ok(resolveClientOptions({}).commandTimeoutMs === 10_000);
 * try {
 *   resolveClientOptions({ reloadCheckMs: 0 });
 * } catch (err) {
 *   assert.ok(err instanceof RangeError);
 * }
 * ```
 */
export function resolveClientOptions(options: HaproxyRuntimeClientOptions): ClientSettings {
  const {
    keepaliveSeconds = DEFAULTS.haproxySocketKeepalive,
    commandTimeoutMs = 10_000,
    reconnectDelayMs = 1000,
    maxReconnectDelayMs = 60_000,
    reloadCheckMs = 5000,
    abortOpenTransaction = true,
    clock = systemClock,
    realPath = Deno.realPath,
    readFile = Deno.readFile,
  } = options;
  checkPositive("keepaliveSeconds", keepaliveSeconds);
  checkPositive("commandTimeoutMs", commandTimeoutMs);
  checkPositive("reconnectDelayMs", reconnectDelayMs);
  checkPositive("maxReconnectDelayMs", maxReconnectDelayMs);
  checkPositive("reloadCheckMs", reloadCheckMs);
  return {
    keepaliveSeconds,
    commandTimeoutMs,
    reconnectDelayMs,
    maxReconnectDelayMs,
    reloadCheckMs,
    abortOpenTransaction,
    clock,
    realPath,
    readFile,
  };
}

function checkPositive(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Cannot create HAProxy client: ${name} must be a positive integer`);
  }
}
