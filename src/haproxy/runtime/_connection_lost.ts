/**
 * The error for a command whose connection ended (or stalled past its
 * deadline) while HAProxy was reading or answering it: unlike a socket that
 * was already down, the command itself may be the cause.
 *
 * @module
 */
import { SocketError } from "../../errors/mod.ts";

/** The connection ended while a command was in flight. */
export class ConnectionLostError extends SocketError {}
