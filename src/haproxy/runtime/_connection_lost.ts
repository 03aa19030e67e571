/**
 * The error for a command whose connection ended (or stalled past its
 * deadline) while HAProxy was reading or answering it: unlike a socket that
 * was already down, the command itself may be the cause.
 *
 * @module
 */
import { SocketError } from "../../errors/mod.ts";

/**
 * The connection ended while a command was in flight.
 *
 * @example Tell a lost command from a socket that was down
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionLostError } from "./_connection_lost.ts";
 * const err = new ConnectionLostError("/run/haproxy/admin.sock", "no reply to 'show info' within 10 s");
 * assert.ok(err.kind === "SocketError");
 * ```
 */
export class ConnectionLostError extends SocketError {}
