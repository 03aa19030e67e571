/**
 * Every option of stapled, declared once in {@linkcode OPTIONS}: the
 * original stapled's options (same long and short names, defaults and
 * multi-value forms) plus ours, each with its type, default, range, help and
 * the {@linkcode StapledConfig} field it sets. The command-line parser and
 * `--help` (`command_line.ts`), the config file schema
 * (`CONFIG_SCHEMA` in `config.ts`), the defaults ({@linkcode OPTION_DEFAULTS},
 * and typed in `defaults.ts`) and the type of the resolved configuration are
 * all derived from it; no default is written anywhere else.
 *
 * This module is data only (no I/O, no npm imports), so lower modules may
 * import the defaults.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { MAX_TIMER_DELAY_MS } from "../scheduler/clock.ts";
import type { OptionSpec, OptionValue } from "./option_spec.ts";

export type { OptionRange, OptionSpec, OptionType, OptionValue } from "./option_spec.ts";
export { optionHelp, rangeProblem } from "./option_spec.ts";

const PATHS = "Certificates:";
const HAPROXY = "HAProxy:";
const RENEWAL = "Renewal:";
const LOGGING = "Logging:";
const PROCESS = "Running:";

/**
 * The longest duration in whole seconds a timer can take: `setTimeout` and
 * `AbortSignal.timeout` fire at once beyond 2^31 - 1 ms, and HAProxy's
 * `set timeout cli` wraps around beyond it (checked with HAProxy 2.6:
 * 4294968 closes the connection within a second).
 */
export const MAX_TIMER_SECONDS: number = Math.floor(MAX_TIMER_DELAY_MS / 1000);

/**
 * The longest `--minimum-validity`: a year, longer than any OCSP response a
 * stapled certificate gets, and small enough for time arithmetic in ms.
 */
export const MAX_MINIMUM_VALIDITY = 365 * 86400;

/** Every option, in help order. */
export const OPTIONS = [
  {
    name: "cert-paths",
    short: "p",
    type: "list",
    arg: "PATH...",
    group: PATHS,
    default: [],
    field: "certPaths",
    help: "certificate files or directories holding them (several allowed: -p a b c)",
  },
  {
    name: "recursive",
    short: "R",
    type: "boolean",
    group: PATHS,
    default: false,
    field: "recursive",
    help: "scan the given directories recursively",
  },
  {
    name: "file-extensions",
    type: "string",
    arg: "LIST",
    group: PATHS,
    default: "crt,pem,cer",
    split: ",",
    field: "fileExtensions",
    help: "comma-separated extensions of certificate files",
  },
  {
    name: "ignore",
    short: "i",
    type: "list",
    arg: "PATTERN...",
    group: PATHS,
    default: [],
    field: "ignore",
    help:
      "ignore files matching these globs (* and ?); /abs/path matches whole paths, others match the last path components",
  },
  {
    name: "refresh-interval",
    short: "r",
    type: "integer",
    arg: "SECONDS",
    group: PATHS,
    default: 60,
    range: { min: 1, max: MAX_TIMER_SECONDS, unit: "seconds" },
    field: "refreshInterval",
    help: "rescan the certificate paths this often",
  },
  {
    name: "no-watch",
    type: "boolean",
    group: PATHS,
    default: false,
    field: "watch",
    negates: true,
    help: "do not watch the cert paths for changes; rely on the periodic rescan",
  },
  {
    name: "directories",
    short: "d",
    type: "list",
    arg: "DIR...",
    group: PATHS,
    deprecatedFor: "cert-paths",
    help: "DEPRECATED, use --cert-paths",
  },
  {
    name: "haproxy-config",
    type: "list",
    arg: "FILE|DIR...",
    group: HAPROXY,
    default: [],
    field: "haproxyConfig",
    help:
      "HAProxy configuration files or directories: their certificates and admin sockets are used",
  },
  {
    name: "haproxy-sockets",
    short: "s",
    type: "list",
    arg: "SOCKET...",
    group: HAPROXY,
    default: [],
    field: "haproxySockets",
    help: "HAProxy admin sockets, one per --cert-paths entry, in the same order",
  },
  {
    name: "no-haproxy-sockets",
    type: "boolean",
    group: HAPROXY,
    default: false,
    field: "noHaproxySockets",
    help: "do not push staples to HAProxy",
  },
  {
    name: "haproxy-socket-keepalive",
    type: "integer",
    arg: "SECONDS",
    group: HAPROXY,
    default: 86400,
    range: { min: 1, max: MAX_TIMER_SECONDS, unit: "seconds" },
    field: "haproxySocketKeepalive",
    help: "idle timeout asked of HAProxy for our socket connections",
  },
  {
    name: "minimum-validity",
    type: "integer",
    arg: "SECONDS",
    group: RENEWAL,
    default: 7200,
    range: { min: 0, max: MAX_MINIMUM_VALIDITY, unit: "seconds" },
    field: "minimumValidity",
    help: "renew staples valid for less than this",
  },
  {
    name: "renewal-threads",
    short: "t",
    type: "integer",
    arg: "N",
    group: RENEWAL,
    default: 2,
    range: { min: 1 },
    field: "renewalThreads",
    help: "OCSP requests in flight at most, per OCSP responder (scheme, host and port)",
  },
  {
    name: "no-recycle",
    type: "boolean",
    group: RENEWAL,
    default: false,
    field: "recycle",
    negates: true,
    help: "do not reuse valid staples found on disk; fetch new ones",
  },
  {
    name: "good-only",
    type: "boolean",
    group: RENEWAL,
    default: false,
    field: "goodOnly",
    help: "write an empty staple instead of a revoked response",
  },
  {
    name: "timeout",
    type: "number",
    arg: "SECONDS",
    group: RENEWAL,
    default: 10,
    range: { min: 0.001, max: MAX_TIMER_SECONDS, unit: "seconds" },
    field: "timeout",
    help: "OCSP HTTP timeout, connect and body",
  },
  {
    name: "ocsp-proxy",
    type: "string",
    arg: "URL",
    group: RENEWAL,
    field: "ocspProxy",
    help:
      "send every OCSP request through this http(s) forward proxy (else HTTP_PROXY, HTTPS_PROXY and NO_PROXY apply)",
  },
  {
    name: "ocsp-responder-override",
    type: "list",
    arg: "FROM=TO...",
    group: RENEWAL,
    default: [],
    field: "ocspResponderOverride",
    help:
      "send a responder's requests elsewhere: FROM a URL prefix or host[:port], TO an http(s) URL (empty: never ask it); repeatable",
  },
  {
    name: "nonce",
    type: "boolean",
    group: RENEWAL,
    default: false,
    field: "nonce",
    help: "send a nonce with OCSP requests and require it back",
  },
  {
    name: "no-fetch-issuer",
    type: "boolean",
    group: RENEWAL,
    default: false,
    field: "fetchIssuer",
    negates: true,
    help:
      "do not fetch a missing issuer from the certificate's caIssuers URL (written as <crt>.issuer)",
  },
  {
    name: "one-off",
    type: "boolean",
    group: PROCESS,
    default: false,
    field: "oneOff",
    help: "staple every certificate once and exit (status 0 all stapled, 1 some failed, 2 usage)",
  },
  {
    name: "one-shot",
    type: "boolean",
    group: PROCESS,
    aliasOf: "one-off",
    help: "alias of --one-off",
  },
  {
    name: "check-config",
    type: "boolean",
    group: PROCESS,
    cliOnly: true,
    default: false,
    field: "checkConfig",
    help: "read the configuration, print the certificates and sockets found, exit 0 (or 2)",
  },
  {
    name: "daemon",
    short: "D",
    type: "boolean",
    group: PROCESS,
    default: false,
    field: "daemon",
    noFlagHelp: "same as --interactive",
    help: "detach from the terminal and run in the background",
  },
  {
    name: "interactive",
    type: "boolean",
    group: PROCESS,
    unsets: "daemon",
    help: "stay in the foreground, overriding daemon from a config file (also --no-daemon)",
  },
  {
    name: "pidfile",
    type: "string",
    arg: "FILE",
    group: PROCESS,
    field: "pidfile",
    help: "write the daemon's pid to this file",
  },
  {
    name: "on-update",
    type: "string",
    arg: "CMD",
    group: PROCESS,
    field: "onUpdate",
    help: "run this shell command after a batch of staples changed (e.g. 'systemctl reload nginx')",
  },
  {
    name: "control-socket",
    type: "string",
    arg: "PATH",
    group: PROCESS,
    default: "/run/stapled/control.sock",
    field: "controlSocket",
    help:
      "the daemon answers 'stapled status' and 'stapled check' on this unix socket (mode 0600; empty: none)",
  },
  {
    name: "metrics-listen",
    type: "string",
    arg: "ADDR",
    group: PROCESS,
    field: "metricsListen",
    help:
      "serve Prometheus metrics (/metrics) and /healthz over HTTP on host:port, [ipv6]:port or a port (loopback); off by default",
  },
  {
    name: "state-dir",
    type: "string",
    arg: "DIR",
    group: PROCESS,
    default: "/var/lib/stapled",
    field: "stateDir",
    help:
      "remember here which staples were verified, so an unchanged one is not checked again (not writable: none)",
  },
  {
    name: "config",
    short: "c",
    type: "string",
    arg: "FILE",
    group: PROCESS,
    cliOnly: true,
    help: "read this config file too (default files: ~/.stapled.conf, /etc/stapled/stapled.conf)",
  },
  {
    name: "verbosity",
    type: "integer",
    arg: "0-4",
    group: LOGGING,
    default: 3,
    range: { min: 0, max: 4 },
    field: "verbosity",
    counter: {
      short: "v",
      help: "more verbose, repeat for more (-vvvv: debug); overrides --verbosity",
    },
    help: "0 critical, 1 error, 2 warning, 3 info, 4 debug",
  },
  {
    name: "logdir",
    short: "l",
    type: "string",
    arg: "DIR",
    implied: "/var/log/stapled/",
    group: LOGGING,
    field: "logdir",
    help: "also log to DIR/stapled.log, with stack traces of unexpected errors",
  },
  {
    name: "syslog",
    type: "boolean",
    group: LOGGING,
    default: false,
    field: "syslog",
    help: "also log to the local syslog (/dev/log)",
  },
  {
    name: "quiet",
    short: "q",
    type: "boolean",
    group: LOGGING,
    default: false,
    field: "quiet",
    help: "print no log messages on the console",
  },
] as const satisfies readonly OptionSpec[];

/** The option with this long name. */
export type OptionName = (typeof OPTIONS)[number]["name"];

type Spec = (typeof OPTIONS)[number];
type FieldValue<S> = S extends { split: string } ? string[]
  : S extends { type: "boolean" } ? boolean
  : S extends { type: "number" | "integer" } ? number
  : S extends { type: "list" } ? string[]
  : string;

/**
 * The configuration fields the options set, derived from
 * {@linkcode OPTIONS}: an option with a default gives a required field, one
 * without (`pidfile`, `on-update`, `logdir`) an optional one.
 */
export type OptionFields =
  & {
    [S in Spec as S extends { field: string; default: unknown } ? S["field"] : never]: FieldValue<
      S
    >;
  }
  & {
    [
      S in Spec as S extends { field: string; default: unknown } ? never
        : S extends { field: infer F extends string } ? F
        : never
    ]?: FieldValue<S>;
  };

/** The resolved configuration: every option's field, plus what was read. */
export interface StapledConfig extends OptionFields {
  /** The config files that were read. */
  configFiles: string[];
  /** Warnings to log once logging is set up. */
  warnings: string[];
}

/**
 * The default of every option that has one, by long option name, the keys a
 * config file uses (e.g. `OPTION_DEFAULTS["minimum-validity"]` is 7200).
 */
export const OPTION_DEFAULTS: Readonly<Record<string, OptionValue>> = Object.freeze(
  Object.fromEntries(
    (OPTIONS as readonly OptionSpec[]).flatMap((o) =>
      o.default === undefined ? [] : [[o.name, o.default]]
    ),
  ),
);

/**
 * The option with this long name.
 *
 * @param name The long name without dashes.
 * @returns The option.
 * @throws {RangeError} When there is no such option.
 *
 * @example Looking up an option's default
 * ```ts
 * import { optionSpec } from "./options.ts";
 * console.log(optionSpec("minimum-validity").default); // 7200
 * ```
 */
export function optionSpec(name: OptionName): OptionSpec {
  const spec = (OPTIONS as readonly OptionSpec[]).find((o) => o.name === name);
  if (spec === undefined) throw new RangeError(`Cannot find option: --${name} does not exist`);
  return spec;
}

export const VERSION: string = denoJson.version;
