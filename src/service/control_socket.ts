/**
 * The daemon's control socket: a unix socket (default
 * `/run/stapled/control.sock`) answering one JSON request per connection,
 * `{"get":"status"}\n` -> the {@linkcode HealthSnapshot} as one JSON line,
 * then the connection closes. `stapled status` and `stapled check` ask it;
 * when no daemon listens they compute the same from the files on disk.
 *
 * Access: only the user stapled runs as (and root) may connect. Deno does
 * not expose SO_PEERCRED, so the peer's uid is not checked; the socket's
 * file mode is the control. It is bound inside a fresh 0700 directory
 * beside the final path, chmod'ed 0600 there, and only then renamed into
 * place, so there is no moment at which another user could connect. On
 * Linux connecting needs write permission on the socket file.
 *
 * @module
 */
import { dirname } from "node:path";
import { SocketError } from "../errors/mod.ts";
import { type Clock, systemClock } from "../scheduler/clock.ts";
import { DEFAULTS } from "../config/defaults.ts";

/** How long one control request may take, ms. */
const CONTROL_TIMEOUT_MS = 5_000;

/** Where the control socket is by default (`--control-socket`). */
export const DEFAULT_CONTROL_SOCKET: string = DEFAULTS.controlSocket;

/** The largest request read, in bytes. */
const MAX_REQUEST_BYTES = 4096;

/** A request: what to get. */
export interface ControlRequest {
  /** `status`: the health snapshot. */
  get: "status";
}

/** Options of {@linkcode startControlSocket}. */
export interface ControlSocketOptions {
  /** The socket path. @default DEFAULT_CONTROL_SOCKET */
  path?: string;
  /** Answers `{"get":"status"}`. */
  status: () => unknown | Promise<unknown>;
  /**
   * A connection that sends no full request within this, or then reads
   * nothing of the reply for this long, is closed. @default 5000
   */
  timeoutMs?: number;
  /** The clock the timeout runs on. @default systemClock */
  clock?: Clock;
}

/** A running control socket. */
export interface ControlSocket {
  /** Its path. */
  readonly path: string;
  /** Stops listening, waits for open connections, removes the socket file. */
  close(): Promise<void>;
}

async function isSocketListening(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

async function readRequest(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(MAX_REQUEST_BYTES + 1);
  let got = 0;
  while (got < buf.length) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) break;
    got += n;
    if (buf.subarray(0, got).includes(0x0a)) break;
  }
  if (got > MAX_REQUEST_BYTES) throw new Error(`request longer than ${MAX_REQUEST_BYTES} bytes`);
  return new TextDecoder().decode(buf.subarray(0, got)).split("\n")[0];
}

async function answer(request: string, status: ControlSocketOptions["status"]): Promise<unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(request);
  } catch {
    return { error: "the request is not JSON" };
  }
  if ((parsed as ControlRequest)?.get === "status") return await status();
  return {
    error: `unknown request ${JSON.stringify(request).slice(0, 200)}; try {"get":"status"}`,
  };
}

/**
 * Listens on the control socket. A stale socket file (nobody listening) is
 * replaced; a live one, or anything that is not a socket, is refused.
 *
 * @param options Path, the status callback, timeout, clock.
 * @returns The running socket.
 * @throws {SocketError} When the path is taken or cannot be created.
 *
 * @example Serve the status and ask for it
 * ```ts
 * import { askControlSocket, startControlSocket } from "./control_socket.ts";
 * const dir = await Deno.makeTempDir();
 * const server = await startControlSocket({ path: `${dir}/control.sock`, status: () => ({ ok: 1 }) });
 * console.assert((await Deno.stat(server.path)).mode! % 0o1000 === 0o600);
 * console.assert((await askControlSocket(server.path) as { ok: number }).ok === 1);
 * await server.close();
 * console.assert(await askControlSocket(`${dir}/control.sock`) === undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startControlSocket(options: ControlSocketOptions): Promise<ControlSocket> {
  const {
    path = DEFAULT_CONTROL_SOCKET,
    status,
    timeoutMs = CONTROL_TIMEOUT_MS,
    clock = systemClock,
  } = options;
  const dir = dirname(path);
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new SocketError(
      path,
      `cannot create the control socket's directory: ${(err as Error).message}`,
    );
  }
  let existing: Deno.FileInfo | undefined;
  try {
    existing = await Deno.lstat(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new SocketError(path, `cannot use the control socket path: ${(err as Error).message}`);
    }
  }
  if (existing) {
    if (!existing.isSocket) {
      throw new SocketError(
        path,
        "the control socket path exists and is not a socket; remove it or pass --control-socket",
      );
    }
    if (await isSocketListening(path)) {
      throw new SocketError(path, "another stapled already listens on the control socket");
    }
    await Deno.remove(path);
  }
  // Bind in a private directory, restrict, then move into place.
  let listener: Deno.Listener;
  let privateDir: string;
  try {
    privateDir = await Deno.makeTempDir({ dir, prefix: ".control." });
    await Deno.chmod(privateDir, 0o700);
    const tmp = `${privateDir}/s`;
    listener = Deno.listen({ transport: "unix", path: tmp });
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
    await Deno.remove(privateDir);
  } catch (err) {
    throw new SocketError(path, `cannot listen on the control socket: ${(err as Error).message}`);
  }

  const open = new Set<Promise<void>>();
  const handle = async (conn: Deno.Conn) => {
    // A peer that sends no request, or stops reading the reply, for
    // `timeoutMs` is dropped; a large reply read steadily (the status of
    // 100,000 certificates is tens of MB) is not cut off.
    let timer = clock.setTimeout(() => conn.close(), timeoutMs);
    const progress = () => {
      clock.clearTimeout(timer);
      timer = clock.setTimeout(() => conn.close(), timeoutMs);
    };
    try {
      const request = await readRequest(conn);
      clock.clearTimeout(timer); // the daemon's own time to answer is not the peer's
      const reply = new TextEncoder().encode(JSON.stringify(await answer(request, status)) + "\n");
      progress();
      for (let off = 0; off < reply.length; progress()) {
        off += await conn.write(reply.subarray(off, off + 65536));
      }
    } catch {
      // The peer went away, timed out or sent too much: nothing to answer.
    } finally {
      clock.clearTimeout(timer);
      try {
        conn.close();
      } catch { /* closed by the timeout */ }
    }
  };
  const loop = (async () => {
    for await (const conn of listener) {
      const p = handle(conn);
      open.add(p);
      p.finally(() => open.delete(p));
    }
  })().catch(() => {});
  return {
    path,
    async close() {
      listener.close();
      await loop;
      await Promise.all(open);
      await Deno.remove(path).catch(() => {});
    },
  };
}

/** Options of {@linkcode askControlSocket}. */
export interface AskControlSocketOptions {
  /** The request. @default { get: "status" } */
  request?: ControlRequest;
  /** Give up after this long without a byte of the answer. @default 5000 */
  timeoutMs?: number;
  /** The clock the timeout runs on. @default systemClock */
  clock?: Clock;
}

/**
 * Asks a running daemon over its control socket.
 *
 * @param path The socket path.
 * @param options Request and timeout.
 * @returns The parsed reply, or undefined when no daemon listens (no socket file, or nobody accepting).
 * @throws {SocketError} When the socket may not be used (another user's),
 *   the daemon does not answer in time, or answers with something that is not JSON.
 *
 * @example No daemon
 * ```ts
 * import { askControlSocket } from "./control_socket.ts";
 * console.assert(await askControlSocket("/nonexistent/control.sock") === undefined);
 * ```
 */
export async function askControlSocket(
  path: string,
  options: AskControlSocketOptions = {},
): Promise<unknown> {
  const { request = { get: "status" }, timeoutMs = CONTROL_TIMEOUT_MS, clock = systemClock } =
    options;
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.ConnectionRefused) {
      return undefined;
    }
    throw new SocketError(path, `cannot connect to the control socket: ${(err as Error).message}`);
  }
  let timedOut = false;
  const expire = () => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  // Time without progress: a large answer read steadily is not cut off.
  let timer = clock.setTimeout(expire, timeoutMs);
  try {
    const out = new TextEncoder().encode(JSON.stringify(request) + "\n");
    for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      clock.clearTimeout(timer);
      timer = clock.setTimeout(expire, timeoutMs);
    }
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    const text = new TextDecoder().decode(all);
    try {
      return JSON.parse(text);
    } catch {
      throw new SocketError(
        path,
        `the control socket answered something that is not JSON: ${
          JSON.stringify(text.slice(0, 100))
        }`,
      );
    }
  } catch (err) {
    if (err instanceof SocketError) throw err;
    if (timedOut) throw new SocketError(path, `the daemon did not answer within ${timeoutMs} ms`);
    throw new SocketError(path, `control socket connection failed: ${(err as Error).message}`);
  } finally {
    clock.clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}
