/**
 * Network helpers for tests: free loopback ports and waiting for a server.
 *
 * @module
 */

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Waits until something accepts connections on 127.0.0.1:`port`.
 *
 * @param port The port.
 * @param timeoutMs Give up after this long.
 */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Whether a command exists on PATH. */
export async function hasCommand(name: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}
