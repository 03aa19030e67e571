/**
 * Looks at other processes: whether a pid is running and with which
 * arguments. Deno lets a program read `/proc/<pid>/...` only with
 * `--allow-all`, and stapled runs with `--allow-run` instead, so the files are
 * read through `cat` (on Linux) or `ps` (elsewhere).
 *
 * @module
 */

/** What is known about one pid. */
export interface ProcessState {
  /** Whether a process with the pid exists and is not a zombie. */
  running: boolean;
  /** Its arguments, `argv[0]` first, when they could be read. */
  argv?: string[];
}

const decoder = new TextDecoder();

async function capture(command: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? decoder.decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a file of `/proc/<pid>/` through `cat`.
 *
 * @param pid The process.
 * @param name The file, e.g. `stat` or `cmdline`.
 * @returns Its text, or `undefined` when the process or file does not exist.
 */
export function readProcFile(pid: number, name: string): Promise<string | undefined> {
  return capture("cat", [`/proc/${pid}/${name}`]);
}

/**
 * The state letter of a `/proc/<pid>/stat` line (`R`, `S`, `Z`...), read
 * after the last `)` because the command name may hold spaces and parentheses.
 *
 * @param stat The line.
 * @returns The state letter, or `undefined` for an empty line.
 */
export function statState(stat: string): string | undefined {
  const rest = stat.slice(stat.lastIndexOf(")") + 1).trim();
  return rest.split(/\s+/)[0] || undefined;
}

/**
 * Whether `pid` runs, and its arguments.
 *
 * @param pid The process id (positive).
 * @returns Its state; a zombie counts as not running.
 */
export async function inspectProcess(pid: number): Promise<ProcessState> {
  if (Deno.build.os === "linux") {
    const stat = await readProcFile(pid, "stat");
    if (stat === undefined) return { running: false };
    const state = statState(stat);
    if (state === "Z" || state === "X" || state === "x") return { running: false };
    const cmdline = await readProcFile(pid, "cmdline");
    const argv = cmdline?.split("\0").filter((a, i, all) => a !== "" || i < all.length - 1);
    return { running: true, argv: argv && argv.length > 0 ? argv : undefined };
  }
  const line = await capture("ps", ["-o", "stat=", "-o", "args=", "-p", String(pid)]);
  if (line === undefined || line.trim() === "") return { running: false };
  const [state, ...args] = line.trim().split(/\s+/);
  if (state.startsWith("Z")) return { running: false };
  return { running: true, argv: args };
}
