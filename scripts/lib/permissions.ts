/**
 * The permission flags stapled runs with: `deno task start`, the compiled
 * binary (`deno task build`) and the tests that run `main.ts` all use exactly
 * these, so a missing permission shows in the tests. Keep deno.json's
 * `start` task in step (a test checks it).
 *
 * - read: certificates, `.issuer` files, staples, config files anywhere;
 * - write: staples beside the certificates, the log directory, the pid file;
 * - net: OCSP responders and HAProxy's TCP and unix admin sockets;
 * - env: HAProxy config variables, HOME, JOURNAL_STREAM;
 * - run: `-D` starts stapled again detached, `--on-update` runs its command;
 * - unstable-net: unix datagrams for --syslog.
 *
 * @module
 */
export const RUNTIME_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-run",
  "--unstable-net",
];
