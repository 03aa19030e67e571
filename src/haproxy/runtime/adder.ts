/**
 * The staple adder: hands each new staple to every HAProxy socket that serves
 * its certificate, in parallel, remembers the latest staple per certificate
 * per socket, and pushes a socket's staples again when it reconnects (HAProxy
 * reloaded or restarted). It never throws: every outcome is a result.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { describeError } from "../../errors/mod.ts";
import { formatSocketAddress, type HaproxySocketAddress } from "../address.ts";
import {
  HaproxyRuntimeClient,
  type HaproxyRuntimeClientOptions,
  type StapleOutcome,
} from "./client.ts";

/** What the adder needs of a socket client; {@link HaproxyRuntimeClient} is one. */
export interface StapleClient {
  /** Gives HAProxy a staple for a certificate. */
  setOcspResponse(certPath: string, der: Uint8Array): Promise<StapleOutcome>;
  /** Registers a reconnect listener; returns its remover. */
  onReconnect(listener: () => void | Promise<void>): () => void;
  /** Closes the client. */
  close(): Promise<void>;
}

/** The outcome of one staple pushed to one socket. */
export type PushResult =
  & {
    /** The socket's name (path, or `host:port`). */
    socket: string;
    /** The certificate file. */
    certPath: string;
    /** Whether this push followed a reconnection. */
    repush: boolean;
  }
  & (
    | { ok: true; outcome: StapleOutcome }
    | { ok: false; error: Error }
  );

/** Options of {@link HaproxyAdder}. */
export interface HaproxyAdderOptions {
  /**
   * Options of each socket's {@link HaproxyRuntimeClient}.
   * @default {}
   */
  client?: HaproxyRuntimeClientOptions;
  /**
   * Makes the client of a socket.
   * @default `new HaproxyRuntimeClient(address, options.client)`
   */
  createClient?: (address: HaproxySocketAddress) => StapleClient;
  /**
   * Called with every result, re-pushes after a reconnection included.
   * @default logs it (info on success, error on failure)
   */
  onResult?: (result: PushResult) => void;
}

const logger = getLogger(["stapled", "haproxy"]);

/**
 * Pushes staples to HAProxy sockets. Sockets are independent: each has its
 * own client, queue and deadlines, so a dead or slow HAProxy never holds up
 * another.
 *
 * @example Push a staple to two HAProxies
 * ```ts
 * const adder = new HaproxyAdder();
 * const results = await adder.push("/etc/haproxy/certs/a.pem", der, [
 *   { transport: "unix", path: "/run/haproxy/admin.sock" },
 *   { transport: "tcp", hostname: "127.0.0.1", port: 9999 },
 * ]);
 * results.filter((r) => !r.ok); // failures, also logged
 * await adder.close();
 * ```
 */
export class HaproxyAdder {
  #createClient: (address: HaproxySocketAddress) => StapleClient;
  #onResult: (result: PushResult) => void;
  #clients = new Map<string, StapleClient>();
  /** socket name -> certificate path -> latest staple */
  #staples = new Map<string, Map<string, Uint8Array>>();

  /**
   * Makes an adder with no sockets; a socket's client is made on its first push.
   *
   * @param options Client options, client factory, result hook.
   */
  constructor(options: HaproxyAdderOptions = {}) {
    const {
      client = {},
      createClient = (address: HaproxySocketAddress) => new HaproxyRuntimeClient(address, client),
      onResult = logResult,
    } = options;
    this.#createClient = createClient;
    this.#onResult = onResult;
  }

  /**
   * Records `der` as the current staple of `certPath` on each socket and
   * pushes it to all of them in parallel. A socket that is down gets it again
   * when it reconnects.
   *
   * @param certPath The certificate file.
   * @param der The DER OCSP response.
   * @param sockets The sockets of the HAProxies serving the certificate.
   * @returns One result per distinct socket; never rejects.
   *
   * @example Push and count failures
   * ```ts
   * const failed = (await adder.push(path, der, sockets)).filter((r) => !r.ok).length;
   * ```
   */
  push(
    certPath: string,
    der: Uint8Array,
    sockets: readonly HaproxySocketAddress[],
  ): Promise<PushResult[]> {
    const names = new Map(sockets.map((address) => [formatSocketAddress(address), address]));
    return Promise.all(
      [...names].map(([socket, address]) => {
        const client = this.#client(socket, address);
        this.#staples.get(socket)!.set(certPath, der);
        return this.#pushOne(client, socket, certPath, der, false);
      }),
    );
  }

  /**
   * Stops re-pushing a certificate's staple (its file is gone or no longer
   * stapled). HAProxy keeps what it has.
   *
   * @param certPath The certificate file.
   *
   * @example Forget a deleted certificate
   * ```ts
   * adder.forget("/etc/haproxy/certs/old.pem");
   * ```
   */
  forget(certPath: string): void {
    for (const staples of this.#staples.values()) staples.delete(certPath);
  }

  /**
   * Drops every socket not in `sockets` (the configuration no longer names
   * it): its client is closed and its staples forgotten, so it is not
   * reconnected to for ever.
   *
   * @param sockets The sockets still in use.
   * @returns When the dropped clients are closed.
   *
   * @example After a reload
   * ```ts
   * await adder.retain([{ transport: "unix", path: "/run/haproxy/admin.sock" }]);
   * ```
   */
  async retain(sockets: Iterable<HaproxySocketAddress>): Promise<void> {
    const keep = new Set([...sockets].map(formatSocketAddress));
    const dropped: StapleClient[] = [];
    for (const [socket, client] of this.#clients) {
      if (keep.has(socket)) continue;
      this.#clients.delete(socket);
      this.#staples.delete(socket);
      dropped.push(client);
    }
    await Promise.all(dropped.map((client) => client.close()));
  }

  /**
   * Closes every socket's client.
   *
   * @returns When all are closed.
   *
   * @example Shut down
   * ```ts
   * await adder.close();
   * ```
   */
  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    this.#staples.clear();
    await Promise.all(clients.map((client) => client.close()));
  }

  #client(socket: string, address: HaproxySocketAddress): StapleClient {
    let client = this.#clients.get(socket);
    if (!client) {
      const created = this.#createClient(address);
      client = created;
      this.#clients.set(socket, created);
      this.#staples.set(socket, new Map());
      created.onReconnect(() => this.#repush(socket, created));
    }
    return client;
  }

  async #repush(socket: string, client: StapleClient): Promise<void> {
    const staples = [...this.#staples.get(socket) ?? []];
    await Promise.all(
      staples.map(([certPath, der]) => this.#pushOne(client, socket, certPath, der, true)),
    );
  }

  async #pushOne(
    client: StapleClient,
    socket: string,
    certPath: string,
    der: Uint8Array,
    repush: boolean,
  ): Promise<PushResult> {
    let result: PushResult;
    try {
      const outcome = await client.setOcspResponse(certPath, der);
      result = { socket, certPath, repush, ok: true, outcome };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      result = { socket, certPath, repush, ok: false, error };
    }
    try {
      this.#onResult(result);
    } catch (err) {
      logger.error("onResult failed: {reason}", { reason: describeError(err) });
    }
    return result;
  }
}

function logResult(result: PushResult): void {
  const fields = { cert: result.certPath, socket: result.socket };
  if (result.ok) {
    logger.info(`Staple ${result.outcome} on HAProxy socket {socket}`, fields);
  } else {
    logger.error("Cannot staple on HAProxy socket {socket}: {reason}", {
      ...fields,
      reason: describeError(result.error),
    });
  }
}
