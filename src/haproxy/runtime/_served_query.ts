/**
 * Asking a HAProxy stats socket what it serves: `show ssl ocsp-response`,
 * then one `show ssl ocsp-response <key>` per CertID, one command per
 * connection, within a timeout on the injected clock.
 *
 * @module
 */
import { SocketError } from "../../errors/mod.ts";
import { type Clock, systemClock } from "../../scheduler/clock.ts";
import { formatSocketAddress, type HaproxySocketAddress } from "../address.ts";
import {
  parseOcspResponse,
  parseOcspResponseList,
  type ServedCertId,
  type ServedResponse,
} from "./_served_parse.ts";

/** How long one `show ssl ocsp-response` exchange may take, ms. */
const SHOW_TIMEOUT_MS = 5_000;

/** Options of {@linkcode showOcspResponses}. */
export interface ShowOcspResponsesOptions {
  /** Per command, connect to end. @default 5000 */
  timeoutMs?: number;
  /** The clock the timeout runs on. @default systemClock */
  clock?: Clock;
}

async function command(
  address: HaproxySocketAddress,
  line: string,
  timeoutMs: number,
  clock: Clock,
): Promise<string> {
  const name = formatSocketAddress(address);
  let conn: Deno.Conn;
  try {
    conn = address.transport === "unix"
      ? await Deno.connect({ transport: "unix", path: address.path })
      : await Deno.connect({ hostname: address.hostname, port: address.port });
  } catch (err) {
    throw new SocketError(name, `cannot connect to HAProxy: ${(err as Error).message}`);
  }
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* closed */ }
  }, timeoutMs);
  try {
    await conn.write(new TextEncoder().encode(`${line}\n`));
    let out = "";
    const decoder = new TextDecoder();
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    return out + decoder.decode();
  } catch (err) {
    if (timedOut) {
      throw new SocketError(name, `HAProxy did not answer '${line}' within ${timeoutMs} ms`);
    }
    throw new SocketError(name, `'${line}' failed: ${(err as Error).message}`);
  } finally {
    clock.clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/**
 * Asks a HAProxy socket what it serves: the CertID list, then each
 * response, one command per connection (HAProxy's non-interactive mode, so
 * the daemon's persistent connections are not disturbed).
 *
 * @param address The stats socket (level admin or operator).
 * @param options Timeout and clock.
 * @returns The served response by CertID key, with the certificate path when HAProxy gives it.
 * @throws {SocketError} When the socket cannot be reached, does not answer in time, or the reply is not understood.
 *
 * @example
 * ```ts ignore
 * import { showOcspResponses } from "./show_ocsp_response.ts";
 * const served = await showOcspResponses({ transport: "unix", path: "/run/haproxy/admin.sock" });
 * for (const [key, r] of served) console.log(key, r.state);
 * ```
 */
export async function showOcspResponses(
  address: HaproxySocketAddress,
  options: ShowOcspResponsesOptions = {},
): Promise<Map<string, ServedResponse & { path?: string }>> {
  const { timeoutMs = SHOW_TIMEOUT_MS, clock = systemClock } = options;
  const name = formatSocketAddress(address);
  let list: ServedCertId[];
  try {
    list = parseOcspResponseList(
      await command(address, "show ssl ocsp-response", timeoutMs, clock),
    );
  } catch (err) {
    if (err instanceof SocketError) throw err;
    throw new SocketError(name, (err as Error).message);
  }
  const out = new Map<string, ServedResponse & { path?: string }>();
  for (const id of list) {
    let r: ServedResponse;
    try {
      r = parseOcspResponse(
        await command(address, `show ssl ocsp-response ${id.key}`, timeoutMs, clock),
      );
    } catch (err) {
      if (err instanceof SocketError) throw err;
      throw new SocketError(name, (err as Error).message);
    }
    out.set(id.key, { ...r, ...(id.path ? { path: id.path } : {}) });
  }
  return out;
}
