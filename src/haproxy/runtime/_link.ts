/**
 * The connection state machine of one runtime client: `idle` until the first
 * command, `connected` with one prompt-mode connection, `reconnecting` with a
 * backoff timer after a failed or lost connection, `closed` for good. It runs
 * jobs one at a time, checks an open connection for a reload every
 * `reloadCheckMs` (moving to the new process when there is one), and tells
 * the reconnect listeners whenever a connection follows a lost one or a
 * reload.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { SocketError } from "../../errors/mod.ts";
import { type HaproxySocketAddress } from "../address.ts";
import { Backoff } from "./_backoff.ts";
import { type RuntimeConnection } from "./_connection.ts";
import { exchangeWithDeadline, openConnection, reasonOf } from "./_exchange.ts";
import { encodeCommand } from "./_framing.ts";
import type { ClientSettings, RuntimeClientStatus } from "./_options.ts";
import {
  pathChange,
  type SocketIdentity,
  socketIdentity,
  stoppingReason,
} from "./_reload_detection.ts";

type State =
  | { kind: "idle" }
  | {
    kind: "connected";
    conn: RuntimeConnection;
    identity: SocketIdentity | undefined;
    watch: unknown;
  }
  | { kind: "reconnecting"; error: SocketError; timer: unknown; delayMs: number }
  | { kind: "closed" };

const logger = getLogger(["stapled", "haproxy"]);

/**
 * One socket's connection, its backoff, reload checks and reconnect listeners.
 *
 * @example A link to a socket that is not there
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketLink } from "./_link.ts";
 * import { resolveClientOptions } from "./_options.ts";
 * const address = { transport: "unix", path: "/nonexistent/admin.sock" } as const;
 * const link = new SocketLink(address, address.path, resolveClientOptions({}));
 * await link.exclusive(() => link.send("show info", "show info\n")).catch(() => {});
 * assert.ok(link.status === "reconnecting");
 * await link.close();
 * ```
 */
export class SocketLink {
  /** The socket's address. */
  readonly address: HaproxySocketAddress;
  /** The socket's name in logs and errors. */
  readonly name: string;
  #settings: ClientSettings;
  #state: State = { kind: "idle" };
  #backoff: Backoff;
  #queue: Promise<unknown> = Promise.resolve();
  #listeners = new Set<() => void | Promise<void>>();
  #opening: AbortController | undefined;

  /**
   * @param address The socket.
   * @param name Its name in logs and errors.
   * @param settings The client's settings.
   */
  constructor(address: HaproxySocketAddress, name: string, settings: ClientSettings) {
    this.address = address;
    this.name = name;
    this.#settings = settings;
    this.#backoff = new Backoff(settings.reconnectDelayMs, settings.maxReconnectDelayMs);
  }

  /** Where the link stands. */
  get status(): RuntimeClientStatus {
    return this.#state.kind;
  }

  /**
   * Adds a reconnect listener.
   *
   * @param listener Called after a reconnection or a reload.
   * @returns Its remover.
   */
  onReconnect(listener: () => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs `job` after every job queued before it.
   *
   * @param job The work, which may call {@link SocketLink.send}.
   * @returns What the job returns.
   */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Sends one encoded command on the connection (connecting when idle),
   * within the command deadline. Call it from an {@link SocketLink.exclusive} job.
   *
   * @param line The command line, for errors.
   * @param text The encoded command.
   * @returns The cleaned reply.
   * @throws {SocketError} If the socket cannot be reached or used in time.
   */
  async send(line: string, text: string): Promise<string> {
    const conn = await this.connection(false);
    return await exchangeWithDeadline(
      conn,
      line,
      text,
      { name: this.name, clock: this.#settings.clock, timeoutMs: this.#settings.commandTimeoutMs },
      (error) => this.#lost(conn, error),
    );
  }

  /**
   * The open connection, connecting first when idle (or when `force`d,
   * which cuts a backoff wait short).
   *
   * @param force Connect even while waiting to reconnect.
   * @returns The connection.
   * @throws {SocketError} When closed, waiting to reconnect, or the connection fails.
   */
  async connection(force: boolean): Promise<RuntimeConnection> {
    const state = this.#state;
    switch (state.kind) {
      case "connected":
        return state.conn;
      case "closed":
        throw new SocketError(this.name, "the client is closed");
      case "reconnecting":
        if (!force) {
          throw new SocketError(
            this.name,
            `${state.error.reason} (next attempt within ${state.delayMs / 1000} s)`,
          );
        }
    }
    return await this.#attempt();
  }

  /** Before a command: moves to the new process if the socket path changed. */
  async followReload(): Promise<void> {
    const state = this.#state;
    if (state.kind !== "connected") return;
    const reason = await pathChange(this.address, state.identity);
    if (reason !== undefined) await this.#switch(state.conn, reason).catch(() => {});
  }

  /**
   * Closes the connection and stops reconnecting.
   *
   * @returns When the connection is closed and queued jobs are done.
   */
  async close(): Promise<void> {
    const state = this.#state;
    const clock = this.#settings.clock;
    this.#state = { kind: "closed" };
    if (state.kind === "reconnecting") clock.clearTimeout(state.timer);
    if (state.kind === "connected") {
      clock.clearTimeout(state.watch);
      await state.conn.close(new Error("client closed"));
    }
    this.#opening?.abort(new Error("client closed"));
    await this.#queue;
  }

  /**
   * Connects; the listeners are told when this follows a lost connection or
   * `afterReload`. The backoff is not reset here: a connection that HAProxy
   * drops at once must not bring the next attempt back to the first delay.
   */
  async #attempt(afterReload = false): Promise<RuntimeConnection> {
    const previous = this.#state;
    if (previous.kind === "reconnecting") this.#settings.clock.clearTimeout(previous.timer);
    let opened: { conn: RuntimeConnection; identity: SocketIdentity | undefined };
    try {
      opened = await this.#open();
    } catch (err) {
      const error = err as SocketError;
      this.#retryLater(error);
      throw error;
    }
    const { conn, identity } = opened;
    if (this.#state.kind === "closed") {
      await conn.close(new Error("client closed"));
      throw new SocketError(this.name, "the client is closed");
    }
    this.#state = { kind: "connected", conn, identity, watch: undefined };
    this.#watch(conn);
    logger.info("Connected to HAProxy socket {socket}", { socket: this.name });
    if (afterReload || previous.kind === "reconnecting") this.#notify();
    return conn;
  }

  /**
   * Opens a connection. A unix socket's path is stat'ed first, so a reload
   * that replaces it later is seen (a replacement between the stat and the
   * connection costs one needless reconnection, never a missed one).
   */
  async #open(): Promise<{ conn: RuntimeConnection; identity: SocketIdentity | undefined }> {
    const identity = await socketIdentity(this.address).catch(() => undefined);
    const controller = new AbortController();
    this.#opening = controller;
    try {
      const conn = await openConnection(this.address, {
        name: this.name,
        clock: this.#settings.clock,
        timeoutMs: this.#settings.commandTimeoutMs,
        keepaliveSeconds: this.#settings.keepaliveSeconds,
        onEnd: (conn, reason) => this.#ended(conn, reason),
        signal: controller.signal,
      });
      return { conn, identity };
    } finally {
      this.#opening = undefined;
    }
  }

  /** Arms the next reload check of `conn`. */
  #watch(conn: RuntimeConnection): void {
    const state = this.#state;
    if (state.kind !== "connected" || state.conn !== conn) return;
    state.watch = this.#settings.clock.setTimeout(() => {
      this.exclusive(() => this.#check(conn)).catch(() => {}); // #attempt scheduled a retry
    }, this.#settings.reloadCheckMs);
  }

  /**
   * The periodic check: moves to the new process after a reload; a
   * connection that answers is healthy, so the backoff starts again.
   */
  async #check(conn: RuntimeConnection): Promise<void> {
    const state = this.#state;
    if (state.kind !== "connected" || state.conn !== conn) return;
    let reason = await pathChange(this.address, state.identity);
    if (reason === undefined) {
      try {
        reason = stoppingReason(await this.send("show info", encodeCommand("show info")));
      } catch {
        return; // the connection is dropped and a retry scheduled
      }
    }
    if (reason !== undefined) {
      await this.#switch(conn, reason);
      return;
    }
    this.#backoff.reset();
    this.#watch(conn);
  }

  /** Closes `conn` (which still works, but to a process on its way out) and connects anew. */
  async #switch(conn: RuntimeConnection, reason: string): Promise<void> {
    const state = this.#state;
    if (state.kind !== "connected" || state.conn !== conn) return;
    this.#settings.clock.clearTimeout(state.watch);
    this.#state = { kind: "idle" };
    logger.info("HAProxy socket {socket}: {reason}; connecting to the new process", {
      socket: this.name,
      reason,
    });
    await conn.close(new SocketError(this.name, reason));
    await this.#attempt(true);
  }

  /** HAProxy closed the connection (or it broke) while it was ours. */
  #ended(conn: RuntimeConnection, reason: Error): void {
    this.#lost(conn, new SocketError(this.name, `connection lost: ${reason.message}`));
  }

  /** Drops `conn` if it is the current connection, and schedules a retry. */
  #lost(conn: RuntimeConnection, error: SocketError): void {
    const state = this.#state;
    if (state.kind !== "connected" || state.conn !== conn) return;
    this.#settings.clock.clearTimeout(state.watch);
    this.#retryLater(error);
    conn.close(error);
  }

  #retryLater(error: SocketError): void {
    const state = this.#state;
    const clock = this.#settings.clock;
    if (state.kind === "closed") return;
    if (state.kind === "reconnecting") clock.clearTimeout(state.timer);
    const delayMs = this.#backoff.take();
    const timer = clock.setTimeout(() => {
      this.exclusive(async () => {
        if (this.#state.kind === "reconnecting") await this.#attempt();
      }).catch(() => {}); // #attempt scheduled the next try
    }, delayMs);
    this.#state = { kind: "reconnecting", error, timer, delayMs };
    const fields = { socket: this.name, reason: error.reason, delay: delayMs / 1000 };
    const message = "HAProxy socket {socket}: {reason}; retrying in {delay} s";
    if (state.kind === "reconnecting") logger.debug(message, fields);
    else logger.warn(message, fields);
  }

  #notify(): void {
    for (const listener of this.#listeners) {
      Promise.resolve().then(listener).catch((err) => {
        logger.error("HAProxy socket {socket}: reconnect listener failed: {reason}", {
          socket: this.name,
          reason: reasonOf(err),
        });
      });
    }
  }
}
