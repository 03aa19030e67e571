/**
 * A daemon's start over a warm directory (every staple on disk valid, the
 * state file of an earlier run), watched until it is idle: `main.ts -p
 * <dir> --state-dir <dir> --control-socket <path>` in a child process.
 *
 * Two moments are measured from spawn:
 *
 * - every renewal scheduled: the moment the bench reads the daemon's
 *   `first pass over N certificate(s) done in S s: R staple(s) reused, F
 *   fetched...; next run ...` line, logged (info) in the same step that
 *   schedules the first pass's last certificate (src/daemon/engine.ts
 *   `#apply`, src/daemon/_first_pass.ts). A daemon without that line
 *   (before commit 86cf67f) is followed by its per-certificate lines
 *   (`...; next renewal ...`, info then), the N-th of them. Should neither
 *   come, the control socket is asked once the CPU is quiet, and the time
 *   it confirms every certificate has a `nextRenewal` is used (a later
 *   moment).
 * - idle: the start of the first window of `quietMs` (2 s) after that in
 *   which the child used less than `quietCpuS` (0.05 s) of CPU, sampled
 *   every 100 ms from /proc/<pid>/stat, and its threads waited less than
 *   that for a CPU (schedstat), so a child starved by a loaded machine is
 *   not taken for an idle one.
 *
 * At idle, before anything else is asked of it, its RSS; then the control
 * socket's status (`{"get":"status"}`, as `stapled status --json` asks) is
 * read once to check that every certificate has a next renewal (when it
 * cannot be read, the measure is still returned, with `statusError`; when it
 * lists fewer, this throws). Polling the
 * status instead would cost the daemon a full snapshot of every
 * certificate per poll, on the cores being measured.
 *
 * @module
 */
import { askControlSocket } from "../../src/service/control_socket.ts";
import { eachLine, spawnStapled } from "./child.ts";
import { cpuSeconds, type ProcMemory, procMemory, runQueueSeconds } from "./proc.ts";

/** The line logged once every certificate of the first scan has its outcome and next run. */
const FIRST_PASS_REGEXP =
  /first pass over (\d+) certificate\(s\) done in [\d.]+ s: (\d+) staple\(s\) reused, (\d+) fetched/;
/** The line logged (at info, before the first-pass line) when a certificate's next renewal is scheduled. */
const SCHEDULED_REGEXP = /; next renewal /;
const REUSED_REGEXP = /existing staple reused/;
const FETCHED_REGEXP = /staple fetched from/;
const SAMPLE_MS = 100;

/** Options of {@linkcode measureDaemonStart}. */
export interface DaemonStartOptions {
  /** The state directory to start with. */
  stateDir: string;
  /** The child's HOME (its control socket goes there). */
  home: string;
  /** More stapled arguments. @default [] */
  extraArgs?: readonly string[];
  /** Idle: a window this long... @default 2000 */
  quietMs?: number;
  /** ...with less CPU than this, in seconds. @default 0.05 */
  quietCpuS?: number;
  /** Give up after this long. @default 900000 */
  timeoutMs?: number;
}

/** What a daemon start took. */
export interface DaemonStart {
  /** From spawn until every certificate's renewal was scheduled, ms. */
  scheduledMs: number;
  /** Where that moment came from: the first-pass line, per-certificate lines, or the control socket. */
  scheduledBy: "first-pass line" | "per-certificate lines" | "control socket";
  /** The child's CPU seconds by then (as last sampled). */
  scheduledCpuS: number;
  /** Its memory then. */
  scheduledMemory: ProcMemory;
  /** From spawn until the start of the first quiet window, ms. */
  idleMs: number;
  /** The child's CPU seconds at that start. */
  idleCpuS: number;
  /** Its memory once the quiet window was over. */
  idleMemory: ProcMemory;
  /** Staples reused, as the first-pass line (or the per-certificate lines) said. */
  reused: number;
  /** Staples fetched, likewise. */
  fetched: number;
  /** Certificates in the control socket's status at idle (0 when it could not be read). */
  statusCertificates: number;
  /** Of them, with a next renewal. */
  statusScheduled: number;
  /** Why the status could not be read at idle, when it could not. */
  statusError?: string;
}

interface HealthLike {
  certificates?: { nextRenewal?: string }[];
}

async function askScheduled(path: string): Promise<{ certificates: number; scheduled: number }> {
  const reply = await askControlSocket(path, { timeoutMs: 120_000 }) as HealthLike | undefined;
  const certs = reply?.certificates ?? [];
  return { certificates: certs.length, scheduled: certs.filter((c) => c.nextRenewal).length };
}

/**
 * Starts the daemon over `dir` and follows it until it is idle, then stops it.
 *
 * @param dir A warm directory of `count` bundles.
 * @param count How many bundles it holds.
 * @param options State directory, HOME, idle criterion.
 * @returns The two moments and the memory.
 * @throws {Error} When it exits, times out, or the status it answers does
 *   not list every certificate with a next renewal (after stopping it).
 *
 * @example Three warm certificates
 * ```ts
 * import { BenchContext } from "./context.ts";
 * import { measureDaemonStart } from "./daemon_start.ts";
 * import { warmBundles } from "./warm.ts";
 * const ctx = await BenchContext.create({ progress: () => {} });
 * try {
 *   const home = await ctx.tempDir("home");
 *   const warm = await warmBundles(ctx, 3, home);
 *   const start = await measureDaemonStart(warm.dir, 3, { stateDir: warm.stateDir, home });
 *   console.assert(start.statusScheduled === 3 && start.reused === 3);
 *   console.assert(start.idleMs >= start.scheduledMs);
 * } finally {
 *   await ctx.close();
 * }
 * ```
 */
export async function measureDaemonStart(
  dir: string,
  count: number,
  options: DaemonStartOptions,
): Promise<DaemonStart> {
  const { stateDir, home, extraArgs = [], quietMs = 2_000, quietCpuS = 0.05 } = options;
  const { timeoutMs = 900_000 } = options;
  const socket = `${home}/control.sock`;
  const args = ["-p", dir, "--state-dir", stateDir, "--control-socket", socket, ...extraArgs];
  const started = performance.now();
  const child = spawnStapled(args, { home, stderr: "piped" });
  const tail: string[] = [];
  let scheduledLines = 0;
  let reused = 0;
  let fetched = 0;
  let loggedAt: number | undefined;
  let loggedBy: DaemonStart["scheduledBy"] = "per-certificate lines";
  const reading = eachLine(child.stderr, (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    const pass = FIRST_PASS_REGEXP.exec(line);
    if (pass && loggedBy !== "first-pass line") {
      loggedAt = performance.now() - started;
      loggedBy = "first-pass line";
      scheduledLines = Number(pass[1]);
      reused = Number(pass[2]);
      fetched = Number(pass[3]);
      return;
    }
    if (loggedBy === "first-pass line") return;
    if (REUSED_REGEXP.test(line)) reused++;
    if (FETCHED_REGEXP.test(line)) fetched++;
    if (SCHEDULED_REGEXP.test(line) && ++scheduledLines === count) {
      loggedAt = performance.now() - started;
    }
  });
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
      await status;
      clearTimeout(timer);
    }
    await reading;
  };
  const fail = async (why: string): Promise<never> => {
    await stop();
    throw new Error(
      `Cannot measure the daemon start over ${count} bundles: ${why}; ${scheduledLines} ` +
        `renewals logged as scheduled (${reused} reused, ${fetched} fetched); its last log lines:\n${
          tail.join("\n")
        }`,
    );
  };
  try {
    const samples: { at: number; cpu: number; waited: number }[] = [];
    let scheduled:
      | Omit<DaemonStart, "idleMs" | "idleCpuS" | "idleMemory" | "reused" | "fetched">
      | undefined;
    let idle: { at: number; cpu: number; waited: number } | undefined;
    while (!idle) {
      await Promise.race([status, new Promise((r) => setTimeout(r, SAMPLE_MS))]);
      if (exited) return await fail(`it exited with status ${(await status).code}`);
      const now = performance.now() - started;
      if (now > timeoutMs) return await fail(`not idle after ${timeoutMs / 1000} s`);
      let cpu: number;
      let waited: number;
      try {
        cpu = await cpuSeconds(child.pid);
        waited = await runQueueSeconds(child.pid);
      } catch {
        continue; // exiting
      }
      samples.push({ at: now, cpu, waited });
      if (!scheduled && loggedAt !== undefined) {
        scheduled = {
          scheduledMs: loggedAt,
          scheduledBy: loggedBy,
          scheduledCpuS: cpu,
          scheduledMemory: await procMemory(child.pid),
          statusCertificates: 0,
          statusScheduled: 0,
        };
        samples.splice(0, samples.length - 1); // idle is looked for from here on
      }
      const from = samples.findLast((s) => s.at <= now - quietMs);
      if (!from || cpu - from.cpu >= quietCpuS || waited - from.waited >= quietCpuS) continue;
      if (!scheduled) {
        // Quiet without the log lines: ask the control socket.
        const memory = await procMemory(child.pid);
        const asked = await askScheduled(socket);
        if (asked.scheduled < count) {
          return await fail(
            `it went quiet (under ${quietCpuS} CPU-s in ${
              quietMs / 1000
            } s) with ${asked.scheduled} ` +
              `of ${asked.certificates} certificates scheduled in its status`,
          );
        }
        scheduled = {
          scheduledMs: performance.now() - started,
          scheduledBy: "control socket",
          scheduledCpuS: cpu,
          scheduledMemory: memory,
          statusCertificates: 0,
          statusScheduled: 0,
        };
      }
      idle = from;
    }
    const idleMemory = await procMemory(child.pid);
    let asked = { certificates: 0, scheduled: 0 };
    let statusError: string | undefined;
    try {
      asked = await askScheduled(socket);
    } catch (err) {
      statusError = (err as Error).message;
    }
    if (!statusError && (asked.certificates !== count || asked.scheduled !== count)) {
      return await fail(
        `at idle its status lists ${asked.certificates} certificates, ${asked.scheduled} with a next renewal`,
      );
    }
    return {
      ...scheduled!,
      idleMs: Math.max(idle.at, scheduled!.scheduledMs),
      idleCpuS: idle.cpu,
      idleMemory,
      reused,
      fetched,
      statusCertificates: asked.certificates,
      statusScheduled: asked.scheduled,
      statusError,
    };
  } finally {
    await stop();
  }
}
