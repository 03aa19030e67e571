/**
 * Command execution with deadlines: opening a connection and setting up
 * prompt mode within one deadline, and one command's exchange within
 * another. A missed deadline or a broken exchange is reported to the owner,
 * which drops the connection.
 *
 * @module
 */
import { SocketError } from "../../errors/mod.ts";
import type { Clock } from "../../scheduler/clock.ts";
import { type HaproxySocketAddress } from "../address.ts";
import { connectSocket, RuntimeConnection } from "./_connection.ts";
import { ConnectionLostError } from "./_connection_lost.ts";
import { cleanReply, encodeCommand } from "./_framing.ts";

/** What both deadlines need. */
export interface DeadlineContext {
  /** The socket's name, for errors. */
  name: string;
  /** Where the deadline timer is armed. */
  clock: Clock;
  /** The deadline, in milliseconds. */
  timeoutMs: number;
}

/** Options of {@link openConnection}. */
export interface OpenOptions extends DeadlineContext {
  /** Seconds for `set timeout cli`. */
  keepaliveSeconds: number;
  /** Called once when the connection ends, from HAProxy's side or ours. */
  onEnd: (conn: RuntimeConnection, reason: Error) => void;
  /** Aborts the attempt (the client is closing). */
  signal?: AbortSignal;
}

/** A timer firing before the work is done. */
class DeadlineError extends Error {}

/**
 * Connects and sets up prompt mode (`prompt`, then `set timeout cli`), all
 * within one deadline.
 *
 * @param address Where to connect.
 * @param options Deadline, keepalive, end listener.
 * @returns The ready connection.
 * @throws {SocketError} `cannot connect: ...` (also at the deadline).
 *
 * @example Fail to connect within the deadline
 * ```ts
 * import { openConnection } from "./_exchange.ts";
 * import { systemClock } from "../../scheduler/clock.ts";
 * await openConnection({ transport: "unix", path: "/nonexistent/admin.sock" }, {
 *   name: "/nonexistent/admin.sock",
 *   clock: systemClock,
 *   timeoutMs: 1000,
 *   keepaliveSeconds: 86400,
 *   onEnd: () => {},
 * }).catch((err) => console.error(err.message)); // ".../admin.sock: cannot connect: No such file ..."
 * ```
 */
export async function openConnection(
  address: HaproxySocketAddress,
  options: OpenOptions,
): Promise<RuntimeConnection> {
  const { name, clock, timeoutMs, keepaliveSeconds, onEnd, signal: outer } = options;
  const controller = new AbortController();
  const signal = controller.signal;
  const timer = clock.setTimeout(() => controller.abort(new DeadlineError()), timeoutMs);
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  let conn: RuntimeConnection | undefined;
  try {
    const socket = await connectSocket(address, signal);
    const opened = new RuntimeConnection(socket, (reason) => onEnd(opened, reason));
    conn = opened;
    signal.addEventListener("abort", () => opened.close(signal.reason), { once: true });
    signal.throwIfAborted();
    await opened.exchange(encodeCommand("prompt"));
    const line = `set timeout cli ${keepaliveSeconds}`;
    const reply = cleanReply(await opened.exchange(encodeCommand(line)));
    if (reply !== "") throw new Error(`'${line}' answered: ${reply}`);
    return opened;
  } catch (err) {
    await conn?.close();
    if (err instanceof DeadlineError) {
      throw new SocketError(name, `cannot connect: no answer within ${seconds(timeoutMs)}`);
    }
    throw new SocketError(name, `cannot connect: ${reasonOf(err)}`, { cause: err });
  } finally {
    clock.clearTimeout(timer);
    outer?.removeEventListener("abort", onOuterAbort);
  }
}

/**
 * Sends one encoded command and waits for its reply within the deadline.
 * When the deadline passes or the exchange breaks, `onLost` is called with
 * a {@link ConnectionLostError} (it must close `conn`, which rejects the
 * pending exchange with that error).
 *
 * @param conn The connection.
 * @param line The command line, for errors.
 * @param text The encoded command.
 * @param context Deadline and name.
 * @param onLost Drops the connection.
 * @returns The cleaned reply.
 * @throws {SocketError} If the connection ends or the deadline passes.
 *
 * @example A command whose connection broke
 * ```ts
 * import { exchangeWithDeadline } from "./_exchange.ts";
 * import { RuntimeConnection } from "./_connection.ts";
 * import { systemClock } from "../../scheduler/clock.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const socket = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
 * const conn = new RuntimeConnection(socket, () => {});
 * await conn.close();
 * const context = { name: "127.0.0.1", clock: systemClock, timeoutMs: 1000 };
 * await exchangeWithDeadline(conn, "show info", "show info\n", context, () => {})
 *   .catch((err) => console.error(err.message)); // "127.0.0.1: 'show info' failed: connection closed"
 * listener.close();
 * ```
 */
export async function exchangeWithDeadline(
  conn: RuntimeConnection,
  line: string,
  text: string,
  context: DeadlineContext,
  onLost: (error: SocketError) => void,
): Promise<string> {
  const { name, clock, timeoutMs } = context;
  const timer = clock.setTimeout(() => {
    onLost(new ConnectionLostError(name, `no reply to '${line}' within ${seconds(timeoutMs)}`));
  }, timeoutMs);
  try {
    return cleanReply(await conn.exchange(text));
  } catch (err) {
    if (err instanceof SocketError) throw err;
    const error = new ConnectionLostError(name, `'${line}' failed: ${reasonOf(err)}`, {
      cause: err,
    });
    onLost(error);
    throw error;
  } finally {
    clock.clearTimeout(timer);
  }
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

/**
 * The message of an error, or the thing itself as text.
 *
 * @param err Anything thrown.
 * @returns One line.
 *
 * @example Describe anything thrown
 * ```ts
 * import assert from "node:assert/strict";
 * import { reasonOf } from "./_exchange.ts";
 * assert.ok(reasonOf(new Error("refused")) === "refused");
 * assert.ok(reasonOf(42) === "42");
 * ```
 */
export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
