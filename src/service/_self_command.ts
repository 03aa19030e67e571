/**
 * How to start this same program again: the compiled binary alone, or, when
 * running from source, the deno binary with `run`, stapled's own permission
 * flags (`./permissions.ts`, the flags `deno task start` and the
 * compiled binary carry) and the main module. The command line of this
 * process is not read: Deno grants `/proc` only with `--allow-all`.
 *
 * @module
 */
import { RUNTIME_PERMISSIONS } from "./permissions.ts";

/** What {@linkcode selfCommand} works from. */
export interface SelfCommandInput {
  /** `Deno.execPath()`: the deno binary, or the compiled stapled binary. */
  execPath: string;
  /** `Deno.mainModule`. */
  mainModule: string;
  /** The runtime flags for `deno run` when running from source. */
  permissionFlags: readonly string[];
}

const DENO_REGEXP = /^deno(\.exe)?$/i;

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * The command that starts this program again, without the program's own
 * arguments: `[execPath]` for a compiled binary (its permissions are built
 * in); `[execPath, "run", ...permissionFlags, <main module path>]` when
 * `execPath` is a deno binary and the main module a file.
 *
 * @param input What this process knows about itself.
 * @returns The executable and its runtime arguments.
 *
 * @example From source
 * ```ts
 * import { selfCommand } from "./_self_command.ts";
 * selfCommand({
 *   execPath: "/usr/bin/deno",
 *   mainModule: "file:///opt/stapled/main.ts",
 *   permissionFlags: ["--allow-read"],
 * }); // ["/usr/bin/deno", "run", "--allow-read", "/opt/stapled/main.ts"]
 * ```
 */
export function selfCommand(input: SelfCommandInput): string[] {
  const { execPath, mainModule, permissionFlags } = input;
  if (DENO_REGEXP.test(basename(execPath)) && mainModule.startsWith("file:")) {
    return [execPath, "run", ...permissionFlags, decodeURIComponent(new URL(mainModule).pathname)];
  }
  return [execPath];
}

/**
 * The command that starts this very process again (see {@linkcode selfCommand}).
 *
 * @returns The executable and its runtime arguments.
 *
 * @example
 * ```ts
 * import { currentSelfCommand } from "./_self_command.ts";
 * const [executable, ...runtimeArgs] = await currentSelfCommand();
 * console.log(executable === Deno.execPath(), runtimeArgs.length >= 0); // true true
 * ```
 */
export function currentSelfCommand(): Promise<string[]> {
  return Promise.resolve(selfCommand({
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    permissionFlags: RUNTIME_PERMISSIONS,
  }));
}
