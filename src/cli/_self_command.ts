/**
 * How to start this same program again: the compiled binary alone, or the
 * deno binary with this process's own runtime flags and main module when
 * running from source (`deno run --allow-... main.ts`).
 *
 * @module
 */
import { readProcFile } from "./_proc.ts";

/** What {@linkcode selfCommand} works from. */
export interface SelfCommandInput {
  /** `Deno.execPath()`: the deno binary, or the compiled stapled binary. */
  execPath: string;
  /** `Deno.mainModule`. */
  mainModule: string;
  /** `Deno.args`: the program's own arguments. */
  processArgs: readonly string[];
  /** This process's whole command line (`/proc/<pid>/cmdline`), when readable. */
  argv?: readonly string[];
  /** The permission flags this process holds, used when `argv` is unknown. */
  permissionFlags: readonly string[];
}

const DENO_REGEXP = /^deno(\.exe)?$/i;

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * The command that starts this program again, without the program's own
 * arguments: `[execPath, ...runtime arguments]`.
 *
 * With the command line known, the runtime arguments are exactly those
 * between `argv[0]` and the program's arguments (`run --allow-read ...
 * main.ts` from source, nothing when compiled). Otherwise, when `execPath` is
 * a deno binary and the main module a file, they are rebuilt as `run`, the
 * permission flags and the main module's path.
 *
 * @param input What this process knows about itself.
 * @returns The executable and its runtime arguments.
 */
export function selfCommand(input: SelfCommandInput): string[] {
  const { execPath, mainModule, processArgs, argv, permissionFlags } = input;
  if (argv && argv.length > processArgs.length) {
    const tail = argv.slice(argv.length - processArgs.length);
    if (tail.every((arg, i) => arg === processArgs[i])) {
      return [execPath, ...argv.slice(1, argv.length - processArgs.length)];
    }
  }
  if (DENO_REGEXP.test(basename(execPath)) && mainModule.startsWith("file:")) {
    return [execPath, "run", ...permissionFlags, decodeURIComponent(new URL(mainModule).pathname)];
  }
  return [execPath];
}

const PERMISSIONS = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;

/**
 * The `--allow-*` flags this process was granted, plus `--unstable-net` when
 * its unstable datagram API is present.
 *
 * @returns The flags.
 */
export function grantedPermissionFlags(): string[] {
  const flags = PERMISSIONS.filter((name) =>
    Deno.permissions.querySync({ name }).state === "granted"
  )
    .map((name) => `--allow-${name}`);
  if ("listenDatagram" in Deno) flags.push("--unstable-net");
  return flags;
}

/**
 * The command that starts this very process again (see {@linkcode selfCommand}).
 *
 * @returns The executable and its runtime arguments.
 */
export async function currentSelfCommand(): Promise<string[]> {
  const cmdline = await readProcFile(Deno.pid, "cmdline");
  const argv = cmdline?.split("\0");
  if (argv && argv.at(-1) === "") argv.pop();
  return selfCommand({
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    processArgs: Deno.args,
    argv,
    permissionFlags: grantedPermissionFlags(),
  });
}
