/**
 * The syslog sink: RFC 3164-style `<PRI>stapled[pid]: LEVEL [cert] message`
 * datagrams to the local syslog socket (`/dev/log`), as `logger`(1) sends
 * them; the syslog daemon adds the time and host.
 *
 * Deno 2 can send unix datagrams only with `--unstable-net`
 * (`Deno.listenDatagram({ transport: "unixpacket" })`, which is a
 * `SOCK_DGRAM` socket despite its name). The sending socket is bound to an
 * abstract name (`\0stapled-<pid>-<random>`), which needs `--allow-net`;
 * sending needs `--allow-write` for the socket path.
 *
 * @module
 */
import type { LogRecord, Sink } from "@logtape/logtape";
import { ConfigError } from "../errors/mod.ts";
import { formatRecord } from "./format.ts";
import { SYSLOG_SEVERITIES } from "./levels.ts";

/** The local syslog socket on Linux. */
export const DEFAULT_SYSLOG_PATH = "/dev/log";

/** Syslog facility codes (RFC 5424 §6.2.1) a daemon may log under. */
export const SYSLOG_FACILITIES = {
  user: 1,
  daemon: 3,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;

/** A facility name from {@link SYSLOG_FACILITIES}. */
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

/** Options of {@link getSyslogSink}. */
export interface SyslogSinkOptions {
  /**
   * The syslog daemon's unix datagram socket.
   * @default "/dev/log"
   */
  path?: string;
  /**
   * The facility messages are filed under.
   * @default "daemon"
   */
  facility?: SyslogFacility;
  /**
   * The program name in each message.
   * @default "stapled"
   */
  ident?: string;
  /**
   * The process id in each message.
   * @default Deno.pid
   */
  pid?: number;
  /**
   * Told when sending starts failing (once, until a send succeeds again);
   * records that cannot be sent are dropped.
   * @default writes one line to stderr
   */
  onError?: (err: unknown) => void;
}

/** The part of Deno's unstable `DatagramConn` this sink uses. */
interface UnixDatagramConn {
  send(data: Uint8Array, address: { transport: "unixpacket"; path: string }): Promise<number>;
  close(): void;
}

type ListenDatagram = (options: { transport: "unixpacket"; path: string }) => UnixDatagramConn;

/**
 * Makes a sink that sends each record to the local syslog socket. Sends are
 * queued in order; disposing the sink waits for them and closes the socket.
 *
 * @param options The socket, facility and name to use.
 * @returns A LogTape sink to dispose when done.
 * @throws {ConfigError} When Deno runs without `--unstable-net`, or the
 *   sending socket cannot be opened (e.g. no `--allow-net`).
 *
 * @example
 * ```ts
 * await using sink = getSyslogSink({ path: "/dev/log", facility: "daemon" });
 * ```
 */
export function getSyslogSink(options: SyslogSinkOptions = {}): Sink & AsyncDisposable {
  const {
    path = DEFAULT_SYSLOG_PATH,
    facility = "daemon",
    ident = "stapled",
    pid = Deno.pid,
    onError = reportToStderr(path),
  } = options;
  const conn = openSender(pid);
  const facilityCode = SYSLOG_FACILITIES[facility];
  const encoder = new TextEncoder();
  let pending: Promise<void> = Promise.resolve();
  let failing = false;
  let closed = false;

  function send(data: Uint8Array): Promise<void> {
    return conn.send(data, { transport: "unixpacket", path }).then(
      () => {
        failing = false;
      },
      (err: unknown) => {
        if (failing) return;
        failing = true;
        onError(err);
      },
    );
  }

  const sink = function syslogSink(record: LogRecord): void {
    if (closed) return;
    const priority = facilityCode * 8 + SYSLOG_SEVERITIES[record.level];
    const text = `<${priority}>${ident}[${pid}]: ${formatRecord(record, { prefix: "none" })}`;
    const data = encoder.encode(text);
    pending = pending.then(() => send(data));
  };
  return Object.assign(sink, {
    async [Symbol.asyncDispose](): Promise<void> {
      // Reporting a failure may log (and queue) one more record: wait for all.
      let waited: Promise<void>;
      do {
        waited = pending;
        await waited;
      } while (waited !== pending);
      closed = true;
      conn.close();
    },
  });
}

function openSender(pid: number): UnixDatagramConn {
  const listen = (Deno as unknown as { listenDatagram?: ListenDatagram }).listenDatagram;
  if (typeof listen !== "function") {
    throw new ConfigError(
      "",
      "cannot log to syslog: Deno needs the --unstable-net flag to send unix datagrams",
    );
  }
  const name = `\0stapled-${pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    return listen({ transport: "unixpacket", path: name });
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError("", `cannot open a socket to log to syslog: ${reason}`, { cause: err });
  }
}

function reportToStderr(path: string): (err: unknown) => void {
  return function report(err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    const line = `stapled: cannot send to syslog at ${path}: ${reason}\n`;
    Deno.stderr.writeSync(new TextEncoder().encode(line));
  };
}
