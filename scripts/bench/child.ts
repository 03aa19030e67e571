/**
 * Runs `main.ts` in a child process with exactly the permission flags of
 * the stapled binary (`scripts/lib/permissions.ts`), in a scratch working
 * directory with its own HOME so no stray stapled.conf is read, and follows
 * its memory and CPU through /proc while it runs.
 *
 * @module
 */
import { RUNTIME_PERMISSIONS } from "../lib/permissions.ts";
import { cpuSeconds, procMemory } from "./proc.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Options of {@linkcode spawnStapled}. */
export interface SpawnOptions {
  /** Working directory and HOME of the child. */
  home: string;
  /** Where its stdout goes. @default "null" */
  stdout?: "null" | "piped";
  /** Where its stderr goes. @default "null" */
  stderr?: "null" | "piped";
}

/**
 * Starts stapled.
 *
 * @param args stapled's arguments.
 * @param options Working directory and output handling.
 * @returns The child process.
 */
export function spawnStapled(args: readonly string[], options: SpawnOptions): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUNTIME_PERMISSIONS, MAIN, ...args],
    cwd: options.home,
    env: { NO_COLOR: "1", HOME: options.home },
    stdin: "null",
    stdout: options.stdout ?? "null",
    stderr: options.stderr ?? "null",
  }).spawn();
}

/** What a run to completion used. */
export interface FinishedRun {
  /** Exit status. */
  code: number;
  /** From spawn to exit, ms. */
  wallMs: number;
  /** VmHWM at the last sample before exit, bytes. */
  peakRss: number;
  /** CPU seconds (user + system) at the last sample before exit. */
  cpuSeconds: number;
}

/**
 * Runs stapled to completion, sampling /proc every `sampleMs`.
 *
 * @param args stapled's arguments.
 * @param options Working directory.
 * @param sampleMs Sampling period. @default 20
 * @returns Exit status, wall time, peak RSS and CPU time.
 */
export async function runStapledToExit(
  args: readonly string[],
  options: SpawnOptions,
  sampleMs = 20,
): Promise<FinishedRun> {
  const start = performance.now();
  const child = spawnStapled(args, options);
  let done = false;
  const status = child.status.finally(() => (done = true));
  let peakRss = 0;
  let cpu = 0;
  while (!done) {
    try {
      peakRss = Math.max(peakRss, (await procMemory(child.pid)).hwm);
      cpu = await cpuSeconds(child.pid);
    } catch {
      // Exited between two samples.
    }
    await Promise.race([status, new Promise((r) => setTimeout(r, sampleMs))]);
  }
  const { code } = await status;
  return { code, wallMs: performance.now() - start, peakRss, cpuSeconds: cpu };
}

/**
 * Calls `onLine` for each line of a stream until it ends.
 *
 * @param stream A child's stdout or stderr.
 * @param onLine Called with each line, without its newline.
 * @returns A promise settling when the stream ends.
 */
export async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  }
  if (rest) onLine(rest);
}
