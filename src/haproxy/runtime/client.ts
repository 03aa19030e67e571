/**
 * A client of one HAProxy runtime API socket: one persistent prompt-mode
 * connection, commands run one at a time with a deadline each, and after a
 * lost connection (restart, timeout) reconnection with exponential backoff
 * and an event so the owner can push its staples again. A reload is noticed
 * too (the process behind the connection is stopping, or the socket path
 * names another socket): the client moves to the new process at once and
 * closes the old connection, which would otherwise keep the old process
 * alive. The parts: `_link.ts` (connection states, backoff, reload checks),
 * `_exchange.ts` (deadlines), `_reload_detection.ts`, `_staple_push.ts` and
 * `_issuer.ts` (the staple commands).
 *
 * @module
 */
import { formatSocketAddress, type HaproxySocketAddress } from "../address.ts";
import { encodeCommand } from "./_framing.ts";
import { issuerToSend, type StapleIssuerOptions } from "./_issuer.ts";
import { SocketLink } from "./_link.ts";
import {
  type ClientSettings,
  type HaproxyRuntimeClientOptions,
  resolveClientOptions,
  type RuntimeClientStatus,
} from "./_options.ts";
import { pushStaple, type StapleOutcome } from "./_staple_push.ts";
import { parseShowSslCert } from "./show_ssl_cert.ts";

export type { StapleOutcome } from "./_staple_push.ts";
export type { HaproxyRuntimeClientOptions, RuntimeClientStatus } from "./_options.ts";
export type { StapleIssuerOptions } from "./_issuer.ts";

/**
 * Talks to one HAProxy stats socket (`level admin`). Connects on first use,
 * then keeps the connection: `prompt`, then `set timeout cli <keepalive>`.
 * Commands run one after another; each has a deadline. When the connection
 * is lost, commands fail at once with a `SocketError` while the client
 * reconnects in the background after 1 s, 2 s, 4 s ... up to 60 s (the
 * delay starts again at 1 s only once a connection has answered a reload
 * check, so one that HAProxy drops at once keeps the delay growing); once
 * back, it calls the {@link HaproxyRuntimeClient.onReconnect} listeners.
 * Timers come from the `clock` option (the project's `Clock`).
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
  #settings: ClientSettings;
  #link: SocketLink;

  /**
   * Makes a client; nothing connects until the first command.
   *
   * @param address The stats socket.
   * @param options Timeouts, backoff, clock.
   * @throws {RangeError} If a duration is not a positive integer.
   */
  constructor(address: HaproxySocketAddress, options: HaproxyRuntimeClientOptions = {}) {
    this.#settings = resolveClientOptions(options);
    this.address = address;
    this.name = formatSocketAddress(address);
    this.#link = new SocketLink(address, this.name, this.#settings);
  }

  /** `idle` before the first connection, `reconnecting` while backing off. */
  get status(): RuntimeClientStatus {
    return this.#link.status;
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
    return this.#link.onReconnect(listener);
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
    return this.#link.exclusive(async () => {
      await this.#link.connection(true);
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
    return this.#link.exclusive(async () => {
      await this.#link.followReload();
      return await this.#link.send(line, text);
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
   * enables it with `set ssl cert <crt>.ocsp` + `commit ssl cert <crt>`.
   * When the bundle holds no issuer, the transaction first sets
   * `<crt>.issuer` (HAProxy reads that file only along with a `.ocsp` it
   * loaded at startup): from `options.issuerPem`, `options.issuerFile`, or
   * else `<certPath>.issuer` / `<base>.issuer`. The commands run back to
   * back, with no other command in between.
   *
   * @param certPath The certificate file the staple is for.
   * @param der The DER-encoded OCSP response.
   * @param options Where the issuer is, for a bundle without it.
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
   * // a bundle without its chain, whose issuer is elsewhere:
   * await client.setOcspResponse("/etc/haproxy/certs/b.pem", der, {
   *   issuerFile: "/etc/ssl/ca/issuing-ca.pem",
   * }).catch(String); // "committed" when HAProxy had no b.pem.ocsp at startup
   * await client.close();
   * ```
   */
  setOcspResponse(
    certPath: string,
    der: Uint8Array,
    options: StapleIssuerOptions = {},
  ): Promise<StapleOutcome> {
    const { realPath, readFile, abortOpenTransaction } = this.#settings;
    return this.#link.exclusive(async () => {
      await this.#link.followReload();
      return await pushStaple(
        (line, payload) => this.#link.send(line, encodeCommand(line, payload)),
        certPath,
        der,
        {
          realPath,
          abortOpenTransaction,
          runtimeName: options.runtimeName,
          issuer: (loaded) => issuerToSend(certPath, loaded, options, readFile),
        },
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
  close(): Promise<void> {
    return this.#link.close();
  }
}
