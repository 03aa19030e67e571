/**
 * Running stapled as a service: detaching for `-D` (`daemonize.ts`, through
 * util-linux's `setsid`, restarting this same program with its own
 * permission flags), the pid file held with an exclusive lock
 * (`pidfile.ts`), the `--on-update` command (`on_update.ts`, run by
 * `_run_shell.ts`) and the exact Deno permissions stapled runs with
 * (`permissions.ts`).
 *
 * @module
 */
export {
  type DaemonChild,
  daemonChildArgs,
  daemonize,
  type DaemonizeOptions,
  type DaemonReadiness,
  READY_FILE_ENV,
  takeDaemonReadiness,
  type TakeDaemonReadinessOptions,
} from "./daemonize.ts";
export { type AcquirePidfileOptions, Pidfile } from "./pidfile.ts";
export {
  type ShellResult,
  type ShellRun,
  UPDATED_COUNT_ENV,
  UPDATED_ENV,
  UpdateHook,
  type UpdateHookOptions,
} from "./on_update.ts";
export { RUN_PROGRAMS, RUNTIME_PERMISSIONS } from "./permissions.ts";
