/**
 * A client of one HAProxy runtime API socket: one persistent prompt-mode
 * connection, commands run one at a time with a deadline each, and after a
 * lost connection (restart, timeout) reconnection with exponential backoff
 * and an event so the owner can push its staples again. A reload is noticed
 * too (the process behind the connection is stopping, or the socket path
 * names another socket): the client moves to the new process at once and
 * closes the old connection, which would otherwise keep the old process
 * alive.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { SocketError } from "../../errors/mod.ts";
import { DEFAULTS } from "../../config/defaults.ts";
import { formatSocketAddress, type HaproxySocketAddress } from "../address.ts";
import { connectSocket, RuntimeConnection } from "./_connection.ts";
import { ConnectionLostError } from "./_connection_lost.ts";
import { cleanReply, encodeCommand } from "./_framing.ts";
import { parseShowInfo } from "./_show_info.ts";
import { pushStaple, type StapleOutcome } from "./_staple_push.ts";
import { parseShowSslCert } from "./show_ssl_cert.ts";

export type { StapleOutcome } from "./_staple_push.ts";

/** The timer functions the client uses; tests pass a fake clock. */
export interface RuntimeTimers {
  /** Calls `callback` after `ms` milliseconds; returns a handle. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer by its handle; fired or unknown handles are ignored. */
  clearTimeout(handle: unknown): void;
}

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
   * Timer functions.
   * @default globalThis.setTimeout / clearTimeout
   */
  timers?: RuntimeTimers;
  /**
   * Resolves a path to its real path, to find HAProxy's name for a file.
   * @default Deno.realPath
   */
  realPath?: (path: string) => Promise<string>;
}

/** Where a client stands with its socket. */
export type RuntimeClientStatus = "idle" | "connected" | "reconnecting" | "closed";

/** Which socket file a unix socket path named when the client connected. */
interface SocketIdentity {
  dev: number;
  ino: number | null;
}

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

/** A timer firing before the work is done. */
class DeadlineError extends Error {}

const DEFAULT_TIMERS: RuntimeTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const logger = getLogger(["stapled", "haproxy"]);

/**
 * Talks to one HAProxy stats socket (`level admin`). Connects on first use,
 * then keeps the connection: `prompt`, then `set timeout cli <keepalive>`.
 * Commands run one after another; each has a deadline. When the connection
 * is lost, commands fail at once with a `SocketError` while the client
 * reconnects in the background after 1 s, 2 s, 4 s ... up to 60 s (the
 * delay starts again at 1 s only once a connection has answered a reload
 * check, so one that HAProxy drops at once keeps the delay growing); once
 * back, it calls the {@link HaproxyRuntimeClient.onReconnect} listeners.
 *
 * Every `reloadCheckMs` (5 s) an open connection is checked for a reload; a
 * reload closes it, connects to the new process and calls the listeners.
 *
 * Permissions: a unix socket needs `--allow-net` (or
 * `--allow-net=unix:<path>`) and both `--allow-read` and `--allow-write` of
 * its path; a TCP socket needs `--allow-net=<host>:<port>`.
 *
 * @example Push a staple (to /run/haproxy/admin.sock in practice)
 * ```ts
 * const client = new HaproxyRuntimeClient({ transport: "unix", path: "/nonexistent/admin.sock" });
 * client.onReconnect(() => console.log("HAProxy is back: push staples again"));
 * const der = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]); // a DER OCSP response
 * try {
 *   await client.setOcspResponse("/etc/haproxy/certs/a.pem", der); // "updated" or "committed"
 * } catch (err) {
 *   console.error(String(err)); // here a SocketError: no HAProxy at that path
 * } finally {
 *   await client.close();
 * }
 * ```
 */
export class HaproxyRuntimeClient {
  /** The socket's address. */
  readonly address: HaproxySocketAddress;
  /** The socket's name in logs and errors (path, or `host:port`). */
  readonly name: string;
  #keepaliveSeconds: number;
  #commandTimeoutMs: number;
  #reconnectDelayMs: number;
  #maxReconnectDelayMs: number;
  #reloadCheckMs: number;
  #abortOpenTransaction: boolean;
  #timers: RuntimeTimers;
  #realPath: (path: string) => Promise<string>;
  #state: State = { kind: "idle" };
  #nextDelayMs: number;
  #queue: Promise<unknown> = Promise.resolve();
  #listeners = new Set<() => void | Promise<void>>();
  #opening: AbortController | undefined;

  /**
   * Makes a client; nothing connects until the first command.
   *
   * @param address The stats socket.
   * @param options Timeouts, backoff, clock.
   * @throws {RangeError} If a duration is not a positive integer.
   */
  constructor(address: HaproxySocketAddress, options: HaproxyRuntimeClientOptions = {}) {
    const {
      keepaliveSeconds = DEFAULTS.haproxySocketKeepalive,
      commandTimeoutMs = 10_000,
      reconnectDelayMs = 1000,
      maxReconnectDelayMs = 60_000,
      reloadCheckMs = 5000,
      abortOpenTransaction = true,
      timers = DEFAULT_TIMERS,
      realPath = Deno.realPath,
    } = options;
    checkPositive("keepaliveSeconds", keepaliveSeconds);
    checkPositive("commandTimeoutMs", commandTimeoutMs);
    checkPositive("reconnectDelayMs", reconnectDelayMs);
    checkPositive("maxReconnectDelayMs", maxReconnectDelayMs);
    checkPositive("reloadCheckMs", reloadCheckMs);
    this.address = address;
    this.name = formatSocketAddress(address);
    this.#keepaliveSeconds = keepaliveSeconds;
    this.#commandTimeoutMs = commandTimeoutMs;
    this.#reconnectDelayMs = reconnectDelayMs;
    this.#maxReconnectDelayMs = maxReconnectDelayMs;
    this.#reloadCheckMs = reloadCheckMs;
    this.#abortOpenTransaction = abortOpenTransaction;
    this.#timers = timers;
    this.#realPath = realPath;
    this.#nextDelayMs = reconnectDelayMs;
  }

  /** `idle` before the first connection, `reconnecting` while backing off. */
  get status(): RuntimeClientStatus {
    return this.#state.kind;
  }

  /**
   * Registers a listener called each time a connection is made after a failed
   * or lost one, or after a reload: HAProxy may have restarted and lost
   * runtime-pushed staples, or a new process serves the socket.
   * Listener errors are logged, never thrown.
   *
   * @param listener Called with no arguments; may return a promise.
   * @returns A function that removes the listener.
   *
   * @example Re-push after a restart
   * ```ts
   * const client = new HaproxyRuntimeClient({ transport: "unix", path: "/nonexistent/admin.sock" });
   * const off = client.onReconnect(() => console.log("push all staples again"));
   * off();
   * ```
   */
  onReconnect(listener: () => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Connects now if not connected, cutting a backoff wait short.
   *
   * @returns When the connection is ready.
   * @throws {SocketError} If it cannot connect (a retry is then scheduled).
   *
   * @example Check a socket at startup
   * ```ts
   * const client = new HaproxyRuntimeClient({ transport: "unix", path: "/nonexistent/admin.sock" });
   * await client.connect().catch((err) => console.error(err.message)); // "...: cannot connect: ..."
   * await client.close();
   * ```
   */
  connect(): Promise<void> {
    return this.#exclusive(async () => {
      await this.#connection(true);
    });
  }

  /**
   * Runs one CLI command and returns HAProxy's reply as is (payload echoes
   * and the prompt removed); the reply is not judged.
   *
   * @param line The command, one line, e.g. `show ssl cert`.
   * @param options `payload`: lines sent after `<<` (no empty line).
   * @returns The reply text.
   * @throws {SocketError} If the socket cannot be reached or used in time.
   * @throws {RangeError} If `line` or the payload cannot be framed.
   *
   * @example Ask for the version
   * ```ts
   * const client = new HaproxyRuntimeClient({ transport: "unix", path: "/nonexistent/admin.sock" });
   * await client.command("show version").catch(String); // "2.6.12-1+deb12u3" from a HAProxy
   * await client.close();
   * ```
   */
  command(line: string, options: { payload?: string } = {}): Promise<string> {
    const text = encodeCommand(line, options.payload);
    return this.#exclusive(async () => {
      await this.#followReload();
      return await this.#send(line, text);
    });
  }

  /**
   * Lists the certificate files HAProxy has in memory (`show ssl cert`), as
   * its configuration names them.
   *
   * @returns The file paths.
   * @throws {SocketError} If the socket cannot be reached or used in time.
   *
   * @example List certificates
   * ```ts
   * const client = new HaproxyRuntimeClient({ transport: "unix", path: "/nonexistent/admin.sock" });
   * await client.showSslCerts().catch(() => []); // ["/etc/haproxy/certs/a.pem"] from a HAProxy
   * await client.close();
   * ```
   */
  async showSslCerts(): Promise<string[]> {
    return parseShowSslCert(await this.command("show ssl cert")).files;
  }

  /**
   * Gives HAProxy a new OCSP staple for a certificate. Tries
   * `set ssl ocsp-response`; if HAProxy did not enable OCSP for the
   * certificate at startup (it had no `.ocsp` file), finds HAProxy's name for
   * `certPath` in `show ssl cert` (same path, else same real path) and
   * enables it with `set ssl cert <crt>.ocsp` + `commit ssl cert <crt>`. The
   * commands run back to back, with no other command in between.
   *
   * @param certPath The certificate file the staple is for.
   * @param der The DER-encoded OCSP response.
   * @returns `"updated"`, or `"committed"` when the transaction was needed.
   * @throws {StapleAdderBadResponse} With HAProxy's reply if it refuses.
   * @throws {StapleNotSentError} Without sending anything, if the response is
   *   larger than `MAX_STAPLE_BYTES` or a command would not fit HAProxy's
   *   buffer.
   * @throws {SocketError} If the socket cannot be reached or used in time.
   *
   * @example Push a staple
   * ```ts
   * const client = new HaproxyRuntimeClient({ transport: "unix", path: "/nonexistent/admin.sock" });
   * const der = await Deno.readFile("/etc/haproxy/certs/a.pem.ocsp").catch(() => new Uint8Array(1));
   * await client.setOcspResponse("/etc/haproxy/certs/a.pem", der).catch(String); // "updated"
   * await client.close();
   * ```
   */
  setOcspResponse(certPath: string, der: Uint8Array): Promise<StapleOutcome> {
    return this.#exclusive(async () => {
      await this.#followReload();
      return await pushStaple(
        (line, payload) => this.#send(line, encodeCommand(line, payload)),
        certPath,
        der,
        { realPath: this.#realPath, abortOpenTransaction: this.#abortOpenTransaction },
      );
    });
  }

  /**
   * Closes the connection and stops reconnecting; later commands fail with a
   * `SocketError`.
   *
   * @returns When the connection is closed.
   *
   * @example Shut down
   * ```ts
   * const client = new HaproxyRuntimeClient({ transport: "unix", path: "/nonexistent/admin.sock" });
   * await client.close();
   * ```
   */
  async close(): Promise<void> {
    const state = this.#state;
    this.#state = { kind: "closed" };
    if (state.kind === "reconnecting") this.#timers.clearTimeout(state.timer);
    if (state.kind === "connected") {
      this.#timers.clearTimeout(state.watch);
      await state.conn.close(new Error("client closed"));
    }
    this.#opening?.abort(new Error("client closed"));
    await this.#queue;
  }

  /** Runs `job` after every job queued before it. */
  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #send(line: string, text: string): Promise<string> {
    const conn = await this.#connection(false);
    const timer = this.#timers.setTimeout(() => {
      const reason = `no reply to '${line}' within ${this.#seconds()}`;
      this.#lost(conn, new ConnectionLostError(this.name, reason));
    }, this.#commandTimeoutMs);
    try {
      return cleanReply(await conn.exchange(text));
    } catch (err) {
      if (err instanceof SocketError) throw err;
      const error = new ConnectionLostError(this.name, `'${line}' failed: ${reasonOf(err)}`, {
        cause: err,
      });
      this.#lost(conn, error);
      throw error;
    } finally {
      this.#timers.clearTimeout(timer);
    }
  }

  /** The open connection, connecting first when idle (or when `force`d). */
  async #connection(force: boolean): Promise<RuntimeConnection> {
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

  /**
   * Connects; the listeners are told when this follows a lost connection or
   * `afterReload`. The backoff delay is not reset here: a connection that
   * HAProxy drops at once must not bring the next attempt back to 1 s.
   */
  async #attempt(afterReload = false): Promise<RuntimeConnection> {
    const previous = this.#state;
    if (previous.kind === "reconnecting") this.#timers.clearTimeout(previous.timer);
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

  /** Arms the next reload check of `conn`. */
  #watch(conn: RuntimeConnection): void {
    const state = this.#state;
    if (state.kind !== "connected" || state.conn !== conn) return;
    state.watch = this.#timers.setTimeout(() => {
      this.#exclusive(() => this.#check(conn)).catch(() => {}); // #attempt scheduled a retry
    }, this.#reloadCheckMs);
  }

  /**
   * The periodic check: moves to the new process after a reload; a
   * connection that answers is healthy, so the backoff starts again at its
   * first delay.
   */
  async #check(conn: RuntimeConnection): Promise<void> {
    const state = this.#state;
    if (state.kind !== "connected" || state.conn !== conn) return;
    let reason = await this.#pathChange(state.identity);
    if (reason === undefined) {
      let reply: string;
      try {
        reply = await this.#send("show info", encodeCommand("show info"));
      } catch {
        return; // the connection is dropped and a retry scheduled
      }
      const info = parseShowInfo(reply);
      if (info.stopping) {
        reason = `HAProxy process ${info.pid ?? "(unknown pid)"} is stopping (reloaded)`;
      }
    }
    if (reason !== undefined) {
      await this.#switch(conn, reason);
      return;
    }
    this.#nextDelayMs = this.#reconnectDelayMs;
    this.#watch(conn);
  }

  /** Before a command: moves to the new process if the socket path changed. */
  async #followReload(): Promise<void> {
    const state = this.#state;
    if (state.kind !== "connected") return;
    const reason = await this.#pathChange(state.identity);
    if (reason !== undefined) await this.#switch(state.conn, reason).catch(() => {});
  }

  /** Why the unix socket path no longer names the socket connected to, if it does not. */
  async #pathChange(identity: SocketIdentity | undefined): Promise<string | undefined> {
    if (identity === undefined || this.address.transport !== "unix") return undefined;
    let now: SocketIdentity | undefined;
    try {
      now = await this.#identity();
    } catch (err) {
      return `the socket path is gone (${reasonOf(err)})`;
    }
    if (now?.dev === identity.dev && now.ino === identity.ino) return undefined;
    return "the socket path now names another socket (HAProxy reloaded or restarted)";
  }

  /** Closes `conn` (which still works, but to a process on its way out) and connects anew. */
  async #switch(conn: RuntimeConnection, reason: string): Promise<void> {
    const state = this.#state;
    if (state.kind !== "connected" || state.conn !== conn) return;
    this.#timers.clearTimeout(state.watch);
    this.#state = { kind: "idle" };
    logger.info("HAProxy socket {socket}: {reason}; connecting to the new process", {
      socket: this.name,
      reason,
    });
    await conn.close(new SocketError(this.name, reason));
    await this.#attempt(true);
  }

  /** The dev and inode of a unix socket's path (`undefined` for TCP). */
  async #identity(): Promise<SocketIdentity | undefined> {
    if (this.address.transport !== "unix") return undefined;
    const info = await Deno.stat(this.address.path);
    return { dev: info.dev, ino: info.ino };
  }

  /**
   * Connects and sets up prompt mode, all within one deadline. A unix
   * socket's path is stat'ed first, so a reload that replaces it later is
   * seen (a replacement between the stat and the connection costs one
   * needless reconnection, never a missed one).
   */
  async #open(): Promise<{ conn: RuntimeConnection; identity: SocketIdentity | undefined }> {
    const identity = await this.#identity().catch(() => undefined);
    const controller = new AbortController();
    const signal = controller.signal;
    const timer = this.#timers.setTimeout(
      () => controller.abort(new DeadlineError()),
      this.#commandTimeoutMs,
    );
    this.#opening = controller;
    let conn: RuntimeConnection | undefined;
    try {
      const socket = await connectSocket(this.address, signal);
      const opened = new RuntimeConnection(socket, (reason) => this.#ended(opened, reason));
      conn = opened;
      signal.addEventListener("abort", () => opened.close(signal.reason), { once: true });
      signal.throwIfAborted();
      await opened.exchange(encodeCommand("prompt"));
      const line = `set timeout cli ${this.#keepaliveSeconds}`;
      const reply = cleanReply(await opened.exchange(encodeCommand(line)));
      if (reply !== "") throw new Error(`'${line}' answered: ${reply}`);
      return { conn: opened, identity };
    } catch (err) {
      await conn?.close();
      if (err instanceof DeadlineError) {
        throw new SocketError(this.name, `cannot connect: no answer within ${this.#seconds()}`);
      }
      throw new SocketError(this.name, `cannot connect: ${reasonOf(err)}`, { cause: err });
    } finally {
      this.#timers.clearTimeout(timer);
      this.#opening = undefined;
    }
  }

  /** HAProxy closed the connection (or it broke) while it was ours. */
  #ended(conn: RuntimeConnection, reason: Error): void {
    this.#lost(conn, new SocketError(this.name, `connection lost: ${reason.message}`));
  }

  /** Drops `conn` if it is the current connection, and schedules a retry. */
  #lost(conn: RuntimeConnection, error: SocketError): void {
    const state = this.#state;
    if (state.kind !== "connected" || state.conn !== conn) return;
    this.#timers.clearTimeout(state.watch);
    this.#retryLater(error);
    conn.close(error);
  }

  #retryLater(error: SocketError): void {
    const state = this.#state;
    if (state.kind === "closed") return;
    if (state.kind === "reconnecting") this.#timers.clearTimeout(state.timer);
    const delayMs = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(delayMs * 2, this.#maxReconnectDelayMs);
    const timer = this.#timers.setTimeout(() => {
      this.#exclusive(async () => {
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

  #seconds(): string {
    return `${this.#commandTimeoutMs / 1000} s`;
  }
}

function checkPositive(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Cannot create HAProxy client: ${name} must be a positive integer`);
  }
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
