/**
 * Runs `main.ts` in a child process with exactly the permission flags of
 * the stapled binary (`scripts/lib/permissions.ts`), in a scratch working
 * directory with its own HOME so no stray stapled.conf is read, and follows
 * its memory and CPU through /proc while it runs.
 *
 * Unless the arguments name them, every child gets `--control-socket ""`
 * (no control socket: two benches' daemons would otherwise both want
 * `/run/stapled/control.sock`) and `--state-dir` a fresh empty directory in
 * its HOME (stapled's default `/var/lib/stapled` would carry what one run
 * verified into the next, and into the machine's own stapled).
 *
 * @module
 */
import { RUNTIME_PERMISSIONS } from "../lib/permissions.ts";
import { type CpuSplit, cpuSplit, procMemory } from "./proc.ts";

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

function hasOption(args: readonly string[], name: string): boolean {
  return args.some((arg) => arg === name || arg.startsWith(`${name}=`));
}

/**
 * stapled's arguments with the bench's defaults added: no control socket,
 * a fresh state directory, unless `args` name them. `--help` and
 * subcommands (`status`, `check`) are left alone.
 *
 * @param args stapled's arguments.
 * @param home The child's HOME (the state directory is made in it).
 * @returns The arguments to run it with.
 *
 * @example
 * ```ts
 * import { withBenchDefaults } from "./child.ts";
 * const home = await Deno.makeTempDir();
 * const args = withBenchDefaults(["--one-off", "-p", home], home);
 * console.assert(args.includes("--control-socket") && args.includes("--state-dir"));
 * const own = withBenchDefaults(["-p", home, "--state-dir", `${home}/s`], home);
 * console.assert(own.filter((a) => a === "--state-dir").length === 1);
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export function withBenchDefaults(args: readonly string[], home: string): string[] {
  if (args[0] === "--help" || args[0] === "status" || args[0] === "check") return [...args];
  const out = [...args];
  if (!hasOption(args, "--control-socket")) out.push("--control-socket", "");
  if (!hasOption(args, "--state-dir")) {
    out.push("--state-dir", Deno.makeTempDirSync({ dir: home, prefix: "state-" }));
  }
  return out;
}

/**
 * Starts stapled (with {@linkcode withBenchDefaults}).
 *
 * @param args stapled's arguments.
 * @param options Working directory and output handling.
 * @returns The child process.
 */
export function spawnStapled(args: readonly string[], options: SpawnOptions): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...RUNTIME_PERMISSIONS,
      MAIN,
      ...withBenchDefaults(args, options.home),
    ],
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
  /** The same, by thread and mode. */
  cpu: CpuSplit;
  /** The last lines of its stderr, when `stderr: "piped"` (else empty). */
  tail: string[];
}

/** How many stderr lines {@linkcode runStapledToExit} keeps. */
const TAIL_LINES = 20;

/**
 * Runs stapled to completion, sampling /proc every `sampleMs`.
 *
 * @param args stapled's arguments.
 * @param options Working directory; `stderr: "piped"` keeps its last lines.
 * @param sampleMs Sampling period. @default 20
 * @returns Exit status, wall time, peak RSS and CPU time (both as last
 *   sampled, so up to `sampleMs` of CPU may be missing).
 */
export async function runStapledToExit(
  args: readonly string[],
  options: SpawnOptions,
  sampleMs = 20,
): Promise<FinishedRun> {
  const start = performance.now();
  const child = spawnStapled(args, options);
  const tail: string[] = [];
  const reading = options.stderr === "piped"
    ? eachLine(child.stderr, (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    })
    : Promise.resolve();
  let done = false;
  const status = child.status.finally(() => (done = true));
  let peakRss = 0;
  let cpu: CpuSplit = { mainUser: 0, mainSystem: 0, user: 0, system: 0 };
  while (!done) {
    try {
      peakRss = Math.max(peakRss, (await procMemory(child.pid)).hwm);
      cpu = await cpuSplit(child.pid);
    } catch {
      // Exited between two samples.
    }
    await Promise.race([status, new Promise((r) => setTimeout(r, sampleMs))]);
  }
  const { code } = await status;
  const wallMs = performance.now() - start;
  await reading;
  return { code, wallMs, peakRss, cpuSeconds: cpu.user + cpu.system, cpu, tail };
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
