/**
 * One open connection to a HAProxy CLI in prompt mode: writes a command,
 * collects the reply up to the prompt, and keeps reading while idle so that
 * HAProxy closing it (reload, restart, CLI timeout) is noticed at once.
 *
 * @module
 */
import { type HaproxySocketAddress } from "../address.ts";
import { PROMPT } from "./_framing.ts";

/** Replies longer than this are refused rather than buffered: 16 Mi chars. */
const MAX_REPLY_CHARS = 16 * 1024 * 1024;

interface Waiter {
  resolve(text: string): void;
  reject(reason: Error): void;
}

/**
 * A prompt-mode CLI connection; it ends for good at the first failure.
 *
 * @example Exchange one command with a peer speaking prompt mode
 * ```ts
 * import assert from "node:assert/strict";
 * import { RuntimeConnection } from "./_connection.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = (async () => {
 *   const peer = await listener.accept();
 *   await peer.read(new Uint8Array(64));
 *   await peer.write(new TextEncoder().encode("admin\n> "));
 *   peer.close();
 * })();
 * const socket = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
 * const conn = new RuntimeConnection(socket, () => {});
 * assert.ok(await conn.exchange("show cli level\n") === "admin");
 * await conn.close();
 * await served;
 * listener.close();
 * ```
 */
export class RuntimeConnection {
  #conn: Deno.Conn;
  #decoder = new TextDecoder();
  #encoder = new TextEncoder();
  #text = "";
  #waiter: Waiter | undefined;
  #failure: Error | undefined;
  #onEnd: (reason: Error) => void;
  #reader: Promise<void>;

  /**
   * @param conn The connected socket.
   * @param onEnd Called once with the reason when the connection ends, from
   *   HAProxy's side or ours.
   */
  constructor(conn: Deno.Conn, onEnd: (reason: Error) => void) {
    this.#conn = conn;
    this.#onEnd = onEnd;
    this.#reader = this.#readLoop();
  }

  /**
   * Writes `text` and resolves with what HAProxy sends before its next
   * prompt. One exchange at a time.
   *
   * @param text The encoded command.
   * @returns The raw reply, prompt removed.
   */
  exchange(text: string): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#waiter) return Promise.reject(new Error("Cannot send: a reply is still pending"));
    const reply = new Promise<string>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    this.#text = "";
    this.#writeAll(this.#encoder.encode(text)).catch((err) => this.#end(asError(err)));
    return reply;
  }

  /**
   * Ends the connection; a pending exchange rejects with `reason`.
   *
   * @param reason Why.
   * @returns When the reader has stopped.
   */
  close(reason: Error = new Error("connection closed")): Promise<void> {
    this.#end(reason);
    return this.#reader;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    for (let offset = 0; offset < bytes.length;) {
      offset += await this.#conn.write(bytes.subarray(offset));
    }
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (this.#failure === undefined) {
        const n = await this.#conn.read(buffer);
        if (n === null) return this.#end(new Error("connection closed by HAProxy"));
        this.#receive(this.#decoder.decode(buffer.subarray(0, n), { stream: true }));
      }
    } catch (err) {
      this.#end(asError(err));
    }
  }

  #receive(chunk: string): void {
    const waiter = this.#waiter;
    if (!waiter) return; // nothing asked: nothing to answer
    this.#text += chunk;
    if (this.#text.endsWith(PROMPT)) {
      const reply = this.#text.slice(0, -PROMPT.length);
      this.#text = "";
      this.#waiter = undefined;
      waiter.resolve(reply);
    } else if (this.#text.length > MAX_REPLY_CHARS) {
      this.#end(new Error(`reply longer than ${MAX_REPLY_CHARS} characters`));
    }
  }

  #end(reason: Error): void {
    if (this.#failure) return;
    this.#failure = reason;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(reason);
    this.#onEnd(reason);
  }
}

/**
 * Opens a socket, giving up (and closing a late connection) when `signal`
 * aborts: `Deno.connect` takes no signal for unix sockets.
 *
 * @param address Where to connect.
 * @param signal Aborts the attempt.
 * @returns The connected socket.
 *
 * @example Give up on a connection attempt
 * ```ts
 * import { connectSocket } from "./_connection.ts";
 * const signal = AbortSignal.timeout(1000);
 * await connectSocket({ transport: "unix", path: "/nonexistent/admin.sock" }, signal)
 *   .catch((err) => console.error(err.message)); // No such file or directory
 * ```
 */
export function connectSocket(
  address: HaproxySocketAddress,
  signal: AbortSignal,
): Promise<Deno.Conn> {
  const pending: Promise<Deno.Conn> = address.transport === "unix"
    ? Deno.connect({ transport: "unix", path: address.path })
    : Deno.connect({ transport: "tcp", hostname: address.hostname, port: address.port });
  return new Promise((resolve, reject) => {
    function onAbort(): void {
      reject(signal.reason);
      pending.then((conn) => conn.close(), () => {});
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (conn) => {
        signal.removeEventListener("abort", onAbort);
        resolve(conn);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
