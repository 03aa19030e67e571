/**
 * Starts and stops a real HAProxy for tests: `haproxy -f <cfg> -db` in the
 * foreground (or in master-worker mode, `-W -S <dir>/master.sock`, as
 * systemd runs it, reloaded by SIGUSR2), TLS on 127.0.0.1 with a free port,
 * an admin stats socket at `<dir>/admin.sock` (and optionally a TCP one),
 * stopped by pid. Also reads the staple HAProxy serves, through
 * `openssl s_client -status`.
 *
 * Use `ignore: !HAPROXY` in `Deno.test` so machines without HAProxy skip
 * (under CI a missing HAProxy fails instead: `requirePeer`)
 * (a notice is printed once); every instance lives in the caller's temp dir.
 *
 * @example
 * ```ts
 * Deno.test({ name: "...", ignore: !HAPROXY }, async () => {
 *   const dir = await Deno.makeTempDir();
 *   const haproxy = await startHaproxy({ dir, crts: [`${dir}/a.pem`] });
 *   try {
 *     const staple = await servedStaple(haproxy.tlsPort, "a.test");
 *   } finally {
 *     await haproxy.stop();
 *     await Deno.remove(dir, { recursive: true });
 *   }
 * });
 * ```
 *
 * @module
 */
import { freePort, requirePeer } from "./net.ts";

/** The HAProxy binary, or `undefined` when it is not installed. */
export const HAPROXY: string | undefined = findHaproxy();

requirePeer(HAPROXY !== undefined, "haproxy");

/** Where a HAProxy 3.0 may be installed beside the system's 2.6 (see shared/notes/haproxy.md). */
const HAPROXY3 = "/opt/haproxy3/bin/haproxy";

/**
 * Every HAProxy binary on this machine to test against: {@link HAPROXY}, and
 * HAProxy 3.0 at `/opt/haproxy3/bin/haproxy` when it is there and different.
 */
export const HAPROXY_BINARIES: readonly string[] = [
  ...(HAPROXY ? [HAPROXY] : []),
  ...(isFile(HAPROXY3) && HAPROXY !== HAPROXY3 ? [HAPROXY3] : []),
];

/** Options of {@link startHaproxy}. */
export interface StartHaproxyOptions {
  /** A temp dir owned by the test: config, admin socket and log go there. */
  dir: string;
  /** Certificate bundles for `bind ... ssl crt <file>` (one `crt` each). */
  crts: string[];
  /**
   * Also open `stats socket ipv4@127.0.0.1:<free port> level admin`.
   * @default false
   */
  tcpSocket?: boolean;
  /**
   * More lines for the `global` section.
   * @default []
   */
  globalLines?: string[];
  /**
   * Run in master-worker mode (`-W -S <dir>/master.sock`), so that
   * {@link HaproxyInstance.reload} starts a new worker and tells the old one
   * to stop, as `systemctl reload haproxy` does.
   * @default false
   */
  masterWorker?: boolean;
  /**
   * The HAProxy binary to run, e.g. one of {@link HAPROXY_BINARIES}.
   * @default HAPROXY
   */
  binary?: string;
}

/** A running HAProxy started by {@link startHaproxy}. */
export interface HaproxyInstance {
  /** The current process id (changes on restart). */
  readonly pid: number;
  /** The admin unix socket. */
  readonly socketPath: string;
  /** The admin TCP socket's port, when `tcpSocket` was set. */
  readonly tcpSocketPort: number | undefined;
  /** The TLS port on 127.0.0.1. */
  readonly tlsPort: number;
  /** The config file. */
  readonly configPath: string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it. */
  stop(): Promise<void>;
  /** Stops the process and starts a new one on the same config and ports. */
  restart(): Promise<void>;
  /**
   * Master-worker mode only: SIGUSR2 to the master, then waits until the
   * admin socket is served by a new worker.
   *
   * @returns The old and the new worker's pid.
   */
  reload(): Promise<{ oldWorker: number; newWorker: number }>;
  /** The pid of the process a new connection to the admin socket reaches (the worker). */
  workerPid(): Promise<number>;
}

/**
 * Writes a config and starts HAProxy; resolves once the admin socket answers.
 *
 * @param options Where, which certificates, which sockets.
 * @returns The running instance.
 * @throws {Error} With HAProxy's output if it does not start within 10 s.
 */
export async function startHaproxy(options: StartHaproxyOptions): Promise<HaproxyInstance> {
  const {
    dir,
    crts,
    tcpSocket = false,
    globalLines = [],
    masterWorker = false,
    binary = HAPROXY,
  } = options;
  if (!binary) throw new Error("Cannot start HAProxy: it is not installed");
  const socketPath = `${dir}/admin.sock`;
  const configPath = `${dir}/haproxy.cfg`;
  const tlsPort = freePort();
  const tcpSocketPort = tcpSocket ? freePort() : undefined;
  const config = [
    "global",
    `  stats socket ${quote(socketPath)} level admin`,
    ...(tcpSocketPort ? [`  stats socket ipv4@127.0.0.1:${tcpSocketPort} level admin`] : []),
    "  nbthread 1",
    ...globalLines.map((line) => `  ${line}`),
    "defaults",
    "  mode tcp",
    "  timeout connect 1s",
    "  timeout client 10s",
    "  timeout server 10s",
    "frontend tls",
    `  bind 127.0.0.1:${tlsPort} ssl ${crts.map((crt) => `crt ${quote(crt)}`).join(" ")}`,
    "  tcp-request content reject",
    "",
  ].join("\n");
  await Deno.writeTextFile(configPath, config);

  const args = masterWorker
    ? ["-W", "-S", `${dir}/master.sock`, "-f", configPath, "-db"]
    : ["-f", configPath, "-db"];
  let process = await spawn(binary, args, configPath, socketPath);
  const workerPid = () => adminPid(socketPath);
  return {
    get pid() {
      return process.child.pid;
    },
    socketPath,
    tcpSocketPort,
    tlsPort,
    configPath,
    stop: () => process.stop(),
    async restart() {
      await process.stop();
      process = await spawn(binary, args, configPath, socketPath);
    },
    workerPid,
    async reload() {
      if (!masterWorker) throw new Error("Cannot reload HAProxy: not in master-worker mode");
      const oldWorker = await workerPid();
      kill(process.child, "SIGUSR2");
      const deadline = Date.now() + 10_000;
      for (;;) {
        const newWorker = await workerPid().catch(() => oldWorker);
        if (newWorker !== oldWorker) return { oldWorker, newWorker };
        if (Date.now() > deadline) throw new Error("Cannot reload HAProxy: no new worker in 10 s");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** What `openssl s_client -status` showed of the stapled OCSP response. */
export interface ServedStaple {
  /** `good`, `revoked`, `unknown`, or `undefined` when nothing was stapled. */
  certStatus: string | undefined;
  /** The response's This Update, as openssl prints it. */
  thisUpdate: string | undefined;
  /** The response's Next Update, as openssl prints it. */
  nextUpdate: string | undefined;
  /** s_client's whole output. */
  text: string;
}

/**
 * Connects with `openssl s_client -status` (stdin closed) and reads the OCSP
 * response HAProxy stapled in the handshake.
 *
 * @param port The TLS port on 127.0.0.1.
 * @param servername The SNI name.
 * @returns What was stapled.
 */
export async function servedStaple(port: number, servername: string): Promise<ServedStaple> {
  const output = await new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", servername, "-status"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const field = (name: string) => new RegExp(`^\\s*${name}: (.*)$`, "m").exec(text)?.[1].trim();
  return {
    certStatus: field("Cert Status"),
    thisUpdate: field("This Update"),
    nextUpdate: field("Next Update"),
    text,
  };
}

interface Spawned {
  child: Deno.ChildProcess;
  stop(): Promise<void>;
}

async function spawn(
  binary: string,
  args: string[],
  configPath: string,
  socketPath: string,
): Promise<Spawned> {
  const child = new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      const timer = setTimeout(() => kill(child, "SIGKILL"), 5000);
      kill(child, "SIGTERM");
      await child.status;
      clearTimeout(timer);
      await stderr;
    })();
    return stopped;
  };
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.status.then(() => exited = true);
  while (!exited && !(await answers(socketPath))) {
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (exited || Date.now() > deadline) {
    await stop();
    throw new Error(`Cannot start HAProxy with ${configPath}:\n${await stderr}`);
  }
  return { child, stop };
}

/** Whether the admin socket answers `show version`. */
async function answers(socketPath: string): Promise<boolean> {
  let conn: Deno.UnixConn | undefined;
  try {
    conn = await Deno.connect({ transport: "unix", path: socketPath });
    await conn.write(new TextEncoder().encode("show version\n"));
    const buffer = new Uint8Array(256);
    return (await conn.read(buffer) ?? 0) > 0;
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

/** The `Pid` that `show info` reports on a new connection to the admin socket. */
async function adminPid(socketPath: string): Promise<number> {
  const conn = await Deno.connect({ transport: "unix", path: socketPath });
  try {
    await conn.write(new TextEncoder().encode("show info\n"));
    const text = await new Response(conn.readable).text();
    const pid = /^Pid: (\d+)$/m.exec(text)?.[1];
    if (!pid) throw new Error(`Cannot read HAProxy's pid: 'show info' answered ${text}`);
    return Number(pid);
  } finally {
    try {
      conn.close();
    } catch {
      // closed with its readable
    }
  }
}

/**
 * Whether a process runs (exists and is not a zombie), by `/proc/<pid>/stat`.
 *
 * @param pid The process id.
 * @returns `false` once it has exited.
 */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

/** Quotes a path for haproxy.cfg (double quotes; `"`, `\` and `$` escaped). */
function quote(path: string): string {
  return `"${path.replace(/["\\$]/g, (char) => `\\${char}`)}"`;
}

function findHaproxy(): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/usr/local/sbin"]);
  return dirs.filter((dir) => dir !== "").map((dir) => `${dir}/haproxy`).find(isFile);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
