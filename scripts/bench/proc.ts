/**
 * Reads what Linux says about a process in /proc: memory high-water mark
 * and resident size, CPU time, context switches of all its threads, and the
 * bytes this process read.
 *
 * @module
 */

/** Memory figures of /proc/<pid>/status, in bytes. */
export interface ProcMemory {
  /** VmHWM: peak resident set size. */
  hwm: number;
  /** VmRSS: resident set size now. */
  rss: number;
}

/** Context switches of each thread of a process, by thread id. */
export type ThreadSwitches = Map<string, { voluntary: number; nonvoluntary: number }>;

/** Context switches between two samples of {@linkcode threadSwitches}. */
export interface SwitchDelta {
  /** Voluntary switches (a thread went to sleep; a wakeup follows each). */
  voluntary: number;
  /** Involuntary switches (a thread was preempted). */
  nonvoluntary: number;
  /** Threads alive at the second sample. */
  threads: number;
  /** Threads of the first sample gone by the second (their last switches are not counted). */
  ended: number;
}

/** I/O counters of /proc/<pid>/io. */
export interface ProcIo {
  /** Bytes passed to read() and pread() (files, pipes, everything). */
  rchar: number;
  /** Read system calls. */
  syscr: number;
}

let ticks: number | undefined;

/**
 * `getconf CLK_TCK`: the unit of utime and stime.
 *
 * @returns Clock ticks per second (100 when getconf fails).
 */
export async function clockTicks(): Promise<number> {
  if (ticks !== undefined) return ticks;
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output();
    ticks = Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  } catch {
    ticks = 100;
  }
  return ticks;
}

function statusFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

function kib(value: string | undefined): number {
  return Number((value ?? "0").split(/\s+/)[0]) * 1024;
}

/**
 * VmHWM and VmRSS of a process.
 *
 * @param pid The process, or "self".
 * @returns The figures in bytes.
 * @throws {Deno.errors.NotFound} When the process is gone.
 */
export async function procMemory(pid: number | "self"): Promise<ProcMemory> {
  const fields = statusFields(await Deno.readTextFile(`/proc/${pid}/status`));
  return { hwm: kib(fields.get("VmHWM")), rss: kib(fields.get("VmRSS")) };
}

/**
 * CPU time a process used so far, user plus system, all threads.
 *
 * @param pid The process, or "self".
 * @returns Seconds (utime + stime of /proc/<pid>/stat divided by CLK_TCK).
 */
export async function cpuSeconds(pid: number | "self"): Promise<number> {
  const [user, system] = await statTimes(`/proc/${pid}/stat`);
  return user + system;
}

/** Where a process's CPU time went, in seconds. */
export interface CpuSplit {
  /** User time of its main thread (JavaScript, V8, Deno's event loop). */
  mainUser: number;
  /** System time of its main thread. */
  mainSystem: number;
  /** User time of all its threads, those that ended included. */
  user: number;
  /** System time of all its threads, those that ended included. */
  system: number;
}

/** utime and stime of a `stat` file of /proc, in seconds. */
async function statTimes(path: string): Promise<[number, number]> {
  const text = await Deno.readTextFile(path);
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const tick = await clockTicks();
  return [Number(rest[11]) / tick, Number(rest[12]) / tick];
}

/**
 * CPU time of a process split by thread and mode: its main thread against
 * the others (in Deno: the blocking pool that runs WebCrypto and file
 * operations, V8's garbage-collection helpers), user against system.
 *
 * @param pid The process, or "self".
 * @returns The four figures in seconds.
 *
 * @example
 * ```ts
 * import { cpuSplit } from "./proc.ts";
 * const split = await cpuSplit("self");
 * console.assert(split.mainUser <= split.user && split.mainSystem <= split.system);
 * ```
 */
export async function cpuSplit(pid: number | "self"): Promise<CpuSplit> {
  const id = pid === "self" ? Deno.pid : pid;
  const [mainUser, mainSystem] = await statTimes(`/proc/${id}/task/${id}/stat`);
  const [user, system] = await statTimes(`/proc/${id}/stat`);
  return { mainUser, mainSystem, user, system };
}

/**
 * Context switches of every thread of a process, per thread (the process's
 * own status file counts only its main thread).
 *
 * @param pid The process.
 * @returns The counts by thread id.
 */
export async function threadSwitches(pid: number): Promise<ThreadSwitches> {
  const out: ThreadSwitches = new Map();
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const fields = statusFields(await Deno.readTextFile(`/proc/${pid}/task/${task.name}/status`));
      out.set(task.name, {
        voluntary: Number(fields.get("voluntary_ctxt_switches") ?? 0),
        nonvoluntary: Number(fields.get("nonvoluntary_ctxt_switches") ?? 0),
      });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/**
 * The switches made between two samples by the threads alive at the second
 * (threads started meanwhile count from zero).
 *
 * @param before The first sample.
 * @param after The second sample.
 * @returns The sums.
 */
export function switchDelta(before: ThreadSwitches, after: ThreadSwitches): SwitchDelta {
  const delta: SwitchDelta = { voluntary: 0, nonvoluntary: 0, threads: after.size, ended: 0 };
  for (const [tid, now] of after) {
    const then = before.get(tid) ?? { voluntary: 0, nonvoluntary: 0 };
    delta.voluntary += now.voluntary - then.voluntary;
    delta.nonvoluntary += now.nonvoluntary - then.nonvoluntary;
  }
  for (const tid of before.keys()) if (!after.has(tid)) delta.ended++;
  return delta;
}

/**
 * Read counters of a process.
 *
 * @param pid The process, or "self".
 * @returns rchar and syscr.
 */
export async function procIo(pid: number | "self"): Promise<ProcIo> {
  const fields = statusFields(await Deno.readTextFile(`/proc/${pid}/io`));
  return { rchar: Number(fields.get("rchar") ?? 0), syscr: Number(fields.get("syscr") ?? 0) };
}

/**
 * Time the threads of a process spent runnable but waiting for a CPU (the
 * run-queue delay of /proc/<pid>/task/<tid>/schedstat), summed over the
 * threads alive now. A process that uses no CPU while this grows is
 * starved, not idle.
 *
 * @param pid The process, or "self".
 * @returns Seconds.
 *
 * @example
 * ```ts
 * import { runQueueSeconds } from "./proc.ts";
 * console.assert(await runQueueSeconds("self") >= 0);
 * ```
 */
export async function runQueueSeconds(pid: number | "self"): Promise<number> {
  let ns = 0;
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const text = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/schedstat`);
      ns += Number(text.split(" ")[1]) || 0;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns / 1e9;
}
