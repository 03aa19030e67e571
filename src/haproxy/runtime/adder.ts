/**
 * The staple adder: hands each new staple to every HAProxy socket that serves
 * its certificate, in parallel, remembers the latest staple per certificate
 * per socket, and pushes a socket's staples again when it reconnects (HAProxy
 * reloaded or restarted). It never throws: every outcome is a result. Each
 * staple's push is independent: one that HAProxy drops the connection on is
 * pushed again last, and after two such drops not at all until a new staple
 * for its certificate comes, so it cannot keep the others from HAProxy.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { describeError } from "../../errors/mod.ts";
import type { Clock } from "../../scheduler/clock.ts";
import { formatSocketAddress, type HaproxySocketAddress } from "../address.ts";
import {
  HaproxyRuntimeClient,
  type HaproxyRuntimeClientOptions,
  type StapleIssuerOptions,
  type StapleOutcome,
} from "./client.ts";
import { ConnectionLostError } from "./_connection_lost.ts";
import { StapleNotSentError } from "./staple_not_sent.ts";

/**
 * After this many pushes of one staple during which the connection ended, it
 * is not pushed again until a new staple for the certificate arrives.
 */
const MAX_DROPS = 2;

/** The staple of one certificate on one socket. */
interface Entry {
  der: Uint8Array;
  /** Where the issuer is, for a bundle without it (kept for re-pushes). */
  issuer: StapleIssuerOptions;
  /** Pushes of `der` during which the connection ended (or stalled). */
  drops: number;
}

/** What the adder needs of a socket client; {@link HaproxyRuntimeClient} is one. */
export interface StapleClient {
  /** Gives HAProxy a staple for a certificate (`options`: its issuer, for a bundle without it). */
  setOcspResponse(
    certPath: string,
    der: Uint8Array,
    options?: StapleIssuerOptions,
  ): Promise<StapleOutcome>;
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

/**
 * Options of {@link HaproxyAdder.push}: where the issuer of a certificate is
 * when its bundle does not hold it (sent to HAProxy when stapling has to be
 * enabled by a `set ssl cert` transaction).
 */
export type PushOptions = StapleIssuerOptions;

/** Options of {@link HaproxyAdder}. */
export interface HaproxyAdderOptions {
  /**
   * The clock of every socket's client (deadlines, backoff, reload checks),
   * unless `client.clock` names another.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Options of each socket's {@link HaproxyRuntimeClient}.
   * @default {}
   */
  client?: HaproxyRuntimeClientOptions;
  /**
   * Makes the client of a socket.
   * @default `new HaproxyRuntimeClient(address, { clock, ...options.client })`
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
 * const adder = new HaproxyAdder({ onResult: () => {} });
 * const der = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]); // a DER OCSP response
 * const results = await adder.push("/etc/haproxy/certs/a.pem", der, [
 *   { transport: "unix", path: "/nonexistent/admin.sock" }, // /run/haproxy/admin.sock
 *   { transport: "tcp", hostname: "127.0.0.1", port: 1 }, // ipv4@10.0.0.5:9999
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
  #staples = new Map<string, Map<string, Entry>>();

  /**
   * Makes an adder with no sockets; a socket's client is made on its first push.
   *
   * @param options Clock, client options, client factory, result hook.
   */
  constructor(options: HaproxyAdderOptions = {}) {
    const {
      clock,
      client = {},
      createClient = (address: HaproxySocketAddress) =>
        new HaproxyRuntimeClient(address, { clock, ...client }),
      onResult = logResult,
    } = options;
    this.#createClient = createClient;
    this.#onResult = onResult;
  }

  /**
   * Records `der` as the current staple of `certPath` on each socket and
   * pushes it to all of them in parallel. A socket that is down gets it again
   * when it reconnects. A staple too large for HAProxy's CLI is refused with
   * a `StapleNotSentError` result and not sent (HAProxy keeps what it has).
   * For a bundle without its issuer, `options` says where the issuer is
   * (by default `<certPath>.issuer`, HAProxy's own name for it).
   *
   * @param certPath The certificate file.
   * @param der The DER OCSP response.
   * @param sockets The sockets of the HAProxies serving the certificate.
   * @param options The issuer (PEM or file), for a bundle without it.
   * @returns One result per distinct socket; never rejects.
   *
   * @example Push and count failures
   * ```ts
   * const adder = new HaproxyAdder({ onResult: () => {} });
   * const sockets = [{ transport: "unix", path: "/nonexistent/admin.sock" } as const];
   * const der = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]);
   * const failed = (await adder.push("/etc/haproxy/a.pem", der, sockets)).filter((r) => !r.ok);
   * console.assert(failed.length === 1); // no HAProxy there
   * await adder.close();
   * ```
   *
   * @example Push a staple for a bundle whose issuer is in a file of its own
   * ```ts
   * const adder = new HaproxyAdder({ onResult: () => {} });
   * const sockets = [{ transport: "unix", path: "/nonexistent/admin.sock" } as const];
   * const der = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]);
   * await adder.push("/etc/haproxy/b.pem", der, sockets, { issuerFile: "/etc/ssl/issuing-ca.pem" });
   * await adder.close();
   * ```
   */
  push(
    certPath: string,
    der: Uint8Array,
    sockets: readonly HaproxySocketAddress[],
    options: PushOptions = {},
  ): Promise<PushResult[]> {
    const issuer: StapleIssuerOptions = { ...options };
    const names = new Map(sockets.map((address) => [formatSocketAddress(address), address]));
    return Promise.all(
      [...names].map(([socket, address]) => {
        const client = this.#client(socket, address);
        const entry = { der, issuer, drops: 0 };
        this.#staples.get(socket)!.set(certPath, entry);
        return this.#pushOne(client, socket, certPath, entry, false);
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
   * const adder = new HaproxyAdder();
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
   * const adder = new HaproxyAdder();
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
   * const adder = new HaproxyAdder();
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

  /**
   * Pushes a socket's staples again: those no connection ended on first (the
   * client runs them in this order), then the suspects; a staple the
   * connection ended on {@link MAX_DROPS} times is reported and skipped.
   */
  async #repush(socket: string, client: StapleClient): Promise<void> {
    const staples = [...this.#staples.get(socket) ?? []];
    const order = [
      ...staples.filter(([, entry]) => entry.drops === 0),
      ...staples.filter(([, entry]) => entry.drops > 0),
    ];
    await Promise.all(order.map(([certPath, entry]) => {
      if (entry.drops < MAX_DROPS) return this.#pushOne(client, socket, certPath, entry, true);
      const error = new StapleNotSentError(
        certPath,
        `HAProxy dropped the connection ${entry.drops} times while reading this staple; ` +
          `it is not pushed again until the next one`,
      );
      return this.#report({ socket, certPath, repush: true, ok: false, error });
    }));
  }

  async #pushOne(
    client: StapleClient,
    socket: string,
    certPath: string,
    entry: Entry,
    repush: boolean,
  ): Promise<PushResult> {
    let result: PushResult;
    try {
      const outcome = await client.setOcspResponse(certPath, entry.der, entry.issuer);
      entry.drops = 0;
      result = { socket, certPath, repush, ok: true, outcome };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (error instanceof ConnectionLostError) entry.drops++;
      result = { socket, certPath, repush, ok: false, error };
    }
    return this.#report(result);
  }

  #report(result: PushResult): PushResult {
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
