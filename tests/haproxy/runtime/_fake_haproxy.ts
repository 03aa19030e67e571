/**
 * An in-process stand-in for a HAProxy CLI on a unix socket, for faults a
 * real HAProxy cannot be made to produce (never answering, closing in the
 * middle of a reply). It answers the `prompt` / `set timeout cli` handshake
 * like HAProxy, answers `show info` (the client's reload check) unless told
 * not to, records every byte it receives, and hands each later line (payload
 * lines too) to the test's behaviour, whose replies end with the prompt
 * unless told otherwise.
 *
 * @module
 */

/** What the fake does with a command line after the handshake. */
export type FakeBehaviour = (
  line: string,
  reply: (text: string, options?: { prompt?: boolean }) => Promise<void>,
  hangUp: () => void,
) => void | Promise<void>;

/** A running fake socket. */
export interface FakeHaproxy {
  /** The socket path. */
  path: string;
  /** Every byte received, decoded, over all connections. */
  received(): string;
  /** Resolves with the next command line received after the handshake. */
  nextCommand(): Promise<string>;
  /** How many connections were accepted, and how many are still open. */
  connections(): { accepted: number; open: number };
  /** Stops listening and closes all connections. */
  close(): Promise<void>;
}

/**
 * Listens on `<dir>/fake.sock` (or `options.path`).
 *
 * @param dir A temp dir owned by the test.
 * @param behaviour What to do with each command after the handshake.
 * @param options `answerHandshake: false` makes it silent from the start;
 *   `showInfo` is the reply to `show info` (`null`: handed to `behaviour`);
 *   `path` is where to listen.
 * @returns The fake.
 */
export function startFakeHaproxy(
  dir: string,
  behaviour: FakeBehaviour,
  options: { answerHandshake?: boolean; showInfo?: (() => string) | null; path?: string } = {},
): FakeHaproxy {
  const {
    answerHandshake = true,
    showInfo = () => "Name: HAProxy\nPid: 4242\nStopping: 0\n",
    path = `${dir}/fake.sock`,
  } = options;
  const listener = Deno.listen({ transport: "unix", path });
  const conns = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  const waiters: Array<(line: string) => void> = [];
  const queued: string[] = [];
  let received = "";
  let accepted = 0;

  async function serve(conn: Deno.Conn): Promise<void> {
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(4096);
    let pending = "";
    let prompt = false;
    const reply = async (text: string, options: { prompt?: boolean } = {}) => {
      const end = prompt && (options.prompt ?? true) ? "\n> " : "";
      await conn.write(encoder.encode(text + end)).catch(() => 0);
    };
    const hangUp = () => {
      conns.delete(conn);
      conn.close();
    };
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const text = decoder.decode(buffer.subarray(0, n));
        received += text;
        pending += text;
        let newline;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (answerHandshake && line === "prompt") {
            prompt = true;
            await reply("");
          } else if (answerHandshake && line.startsWith("set timeout cli ")) {
            await reply("");
          } else if (showInfo && line === "show info") {
            await reply(showInfo());
          } else {
            const waiter = waiters.shift();
            if (waiter) waiter(line);
            else queued.push(line);
            await behaviour(line, reply, hangUp);
          }
        }
      }
    } catch {
      // closed by the test or the client
    } finally {
      if (conns.delete(conn)) conn.close();
    }
  }

  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      accepted++;
      tasks.push(serve(conn));
    }
  })();

  return {
    path,
    received: () => received,
    connections: () => ({ accepted, open: conns.size }),
    nextCommand: () =>
      queued.length > 0
        ? Promise.resolve(queued.shift()!)
        : new Promise((resolve) => waiters.push(resolve)),
    async close() {
      listener.close();
      for (const conn of conns) conn.close();
      conns.clear();
      await accepting.catch(() => {});
      await Promise.all(tasks);
    },
  };
}
