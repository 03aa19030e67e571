/**
 * The permission flags stapled runs with: `deno task start`, the compiled
 * binary (`deno task build`), `-D`'s restart from source and the tests that
 * run `main.ts` all use exactly these, so a missing permission shows in the
 * tests. Keep deno.json's `start` task in step (a test checks it).
 *
 * - read: certificates, `.issuer` files, staples, config files anywhere;
 * - write: staples beside the certificates, the log directory, the pid file;
 * - net: OCSP responders (any URL a certificate names) and HAProxy's TCP and
 *   unix admin sockets;
 * - env: unscoped, because HAProxy configurations expand any variable
 *   (`crt "${SSL_DIR}/site.pem"`), which cannot be known in advance; stapled
 *   itself reads HOME, JOURNAL_STREAM and STAPLED_DAEMON_READY_FILE;
 * - run: only {@linkcode RUN_PROGRAMS}: `/bin/sh` for `--on-update` and
 *   util-linux's `setsid`, through which `-D` starts stapled again (and the
 *   `--on-update` command in its own session). No other program, so an
 *   unscoped `--allow-run` (which Deno documents as equal to `--allow-all`)
 *   is never granted;
 * - sys=uid: the running user's uid, to check who owns a config file that
 *   sets a command;
 * - unstable-net: unix datagrams for --syslog.
 *
 * And two V8 flags. `--max-semi-space-size=8` (MB): V8's young generation
 * otherwise grows to several times that during a burst of 10,000
 * certificates, which is most of the peak RSS of a warm start (measured:
 * 174 -> 126 MiB for a warm one-off over 10,000, no CPU difference seen).
 * `--expose-gc`: the engine runs a full collection after every 1,000
 * certificates read and after its first pass, which frees the native memory
 * of node:crypto's parsed certificates that V8 does not count
 * (src/daemon/_native_memory.ts).
 *
 * @module
 */
import { SETSID_PATHS } from "./_setsid.ts";
import { SHELL_PATH } from "./_run_shell.ts";

/** The only programs stapled starts, by absolute path (Deno matches paths literally). */
export const RUN_PROGRAMS: readonly string[] = [SHELL_PATH, ...SETSID_PATHS];

/** The flags, in the order of deno.json's `start` task. */
export const RUNTIME_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  `--allow-run=${RUN_PROGRAMS.join(",")}`,
  "--allow-sys=uid",
  "--unstable-net",
  "--v8-flags=--max-semi-space-size=8,--expose-gc",
];
