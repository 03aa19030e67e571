/**
 * The command line: every option of the original stapled (same long and
 * short names, defaults and multi-value behaviour) plus ours, declared once
 * in {@linkcode OPTIONS} and parsed with commander into the values the
 * operator gave explicitly, keyed by long option name, the same keys a
 * `stapled.conf` uses.
 *
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "../errors/mod.ts";

/** How an option's value is read. */
export type OptionType = "boolean" | "number" | "integer" | "string" | "list";

/** One option of the command line and config file. */
export interface OptionSpec {
  /** Long name without dashes; also the config file key. */
  name: string;
  /** Short flag letter, if any. */
  short?: string;
  /** Value type. */
  type: OptionType;
  /** Placeholder in help, e.g. `SECONDS`. */
  arg?: string;
  /** Help text. */
  help: string;
  /** Help group heading. */
  group: string;
  /** Whether the value is optional (`-l [DIR]`). */
  optionalValue?: boolean;
  /** Only on the command line, not in config files. */
  cliOnly?: boolean;
}

const PATHS = "Certificates:";
const HAPROXY = "HAProxy:";
const RENEWAL = "Renewal:";
const LOGGING = "Logging:";
const PROCESS = "Running:";

/** Every option, in help order. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    name: "cert-paths",
    short: "p",
    type: "list",
    arg: "PATH...",
    group: PATHS,
    help: "certificate files or directories holding them (several allowed: -p a b c)",
  },
  {
    name: "recursive",
    short: "R",
    type: "boolean",
    group: PATHS,
    help: "scan the given directories recursively",
  },
  {
    name: "file-extensions",
    type: "string",
    arg: "LIST",
    group: PATHS,
    help: "comma-separated extensions of certificate files (default: crt,pem,cer)",
  },
  {
    name: "ignore",
    short: "i",
    type: "list",
    arg: "PATTERN...",
    group: PATHS,
    help:
      "ignore files matching these globs (* and ?); /abs/path matches whole paths, others match the last path components",
  },
  {
    name: "refresh-interval",
    short: "r",
    type: "integer",
    arg: "SECONDS",
    group: PATHS,
    help: "rescan the certificate paths this often (default: 60)",
  },
  {
    name: "no-watch",
    type: "boolean",
    group: PATHS,
    help: "do not watch the cert paths for changes; rely on the periodic rescan",
  },
  {
    name: "directories",
    short: "d",
    type: "list",
    arg: "DIR...",
    group: PATHS,
    help: "DEPRECATED, use --cert-paths",
  },
  {
    name: "haproxy-config",
    type: "list",
    arg: "FILE|DIR...",
    group: HAPROXY,
    help:
      "HAProxy configuration files or directories: their certificates and admin sockets are used",
  },
  {
    name: "haproxy-sockets",
    short: "s",
    type: "list",
    arg: "SOCKET...",
    group: HAPROXY,
    help: "HAProxy admin sockets, one per --cert-paths entry, in the same order",
  },
  {
    name: "no-haproxy-sockets",
    type: "boolean",
    group: HAPROXY,
    help: "do not push staples to HAProxy",
  },
  {
    name: "haproxy-socket-keepalive",
    type: "integer",
    arg: "SECONDS",
    group: HAPROXY,
    help: "idle timeout asked of HAProxy for our socket connections (default: 86400)",
  },
  {
    name: "minimum-validity",
    type: "integer",
    arg: "SECONDS",
    group: RENEWAL,
    help: "renew staples valid for less than this (default: 7200)",
  },
  {
    name: "renewal-threads",
    short: "t",
    type: "integer",
    arg: "N",
    group: RENEWAL,
    help: "OCSP requests in flight at most (default: 2)",
  },
  {
    name: "no-recycle",
    type: "boolean",
    group: RENEWAL,
    help: "do not reuse valid staples found on disk; fetch new ones",
  },
  {
    name: "good-only",
    type: "boolean",
    group: RENEWAL,
    help: "write an empty staple instead of a revoked response",
  },
  {
    name: "timeout",
    type: "number",
    arg: "SECONDS",
    group: RENEWAL,
    help: "OCSP HTTP timeout, connect and body (default: 10)",
  },
  {
    name: "nonce",
    type: "boolean",
    group: RENEWAL,
    help: "send a nonce with OCSP requests and require it back",
  },
  {
    name: "one-off",
    type: "boolean",
    group: PROCESS,
    help: "staple every certificate once and exit (status 0 all stapled, 1 some failed, 2 usage)",
  },
  { name: "one-shot", type: "boolean", group: PROCESS, help: "alias of --one-off" },
  {
    name: "check-config",
    type: "boolean",
    group: PROCESS,
    cliOnly: true,
    help: "read the configuration, print the certificates and sockets found, exit 0 (or 2)",
  },
  {
    name: "daemon",
    short: "D",
    type: "boolean",
    group: PROCESS,
    help: "detach from the terminal and run in the background",
  },
  {
    name: "interactive",
    type: "boolean",
    group: PROCESS,
    help: "stay in the foreground, overriding daemon from a config file (also --no-daemon)",
  },
  {
    name: "pidfile",
    type: "string",
    arg: "FILE",
    group: PROCESS,
    help: "write the daemon's pid to this file",
  },
  {
    name: "on-update",
    type: "string",
    arg: "CMD",
    group: PROCESS,
    help: "run this shell command after a batch of staples changed (e.g. 'systemctl reload nginx')",
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
    help: "0 critical, 1 error, 2 warning, 3 info, 4 debug (default: 3)",
  },
  {
    name: "logdir",
    short: "l",
    type: "string",
    arg: "DIR",
    optionalValue: true,
    group: LOGGING,
    help:
      "also log to DIR/stapled.log (default DIR: /var/log/stapled/), with stack traces of unexpected errors",
  },
  {
    name: "syslog",
    type: "boolean",
    group: LOGGING,
    help: "also log to the local syslog (/dev/log)",
  },
  {
    name: "quiet",
    short: "q",
    type: "boolean",
    group: LOGGING,
    help: "print no log messages on the console",
  },
];

/** Default log directory when `-l` is given without one. */
export const DEFAULT_LOGDIR = "/var/log/stapled/";

/** What the command line said. */
export interface CommandLine {
  /** Values given explicitly, by long option name (`no-daemon` as `daemon: false`). */
  values: Record<string, string | number | boolean | string[]>;
  /** Number of `-v` flags (0 when none). */
  verbose: number;
  /** Set when `--help` or `--version` printed something: exit with this status. */
  exit?: number;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Checks and converts one value of an option (command line or config file).
 *
 * @param spec The option.
 * @param raw The text given.
 * @param where Where it was given, for the message.
 * @returns The converted value.
 * @throws {ConfigError} When the value does not fit the type.
 */
export function convertOption(spec: OptionSpec, raw: string, where = ""): number | string {
  if (spec.type === "number" || spec.type === "integer") {
    const n = Number(raw);
    const whole = spec.type === "integer";
    if (raw.trim() === "" || !Number.isFinite(n) || n < 0 || (whole && !Number.isInteger(n))) {
      throw new ConfigError(
        where,
        `--${spec.name} takes a ${
          whole ? "whole " : ""
        }number of 0 or more, not "${raw}" (e.g. --${spec.name} ${
          spec.name === "verbosity" ? "3" : "60"
        })`,
      );
    }
    return n;
  }
  return raw;
}

import denoJson from "../../deno.json" with { type: "json" };

/** stapled's version, from deno.json. */
export const VERSION: string = denoJson.version;

/**
 * Builds the commander program (for parsing and for `--help`).
 *
 * @param write Where help and errors go.
 * @returns The program.
 */
export function buildProgram(
  write: { out: (s: string) => void; err: (s: string) => void },
): Command {
  const program = new Command("stapled")
    .description(
      "Keep OCSP staples fresh for HAProxy (and nginx): find certificates, fetch and validate " +
        "their OCSP responses, write <cert>.ocsp atomically and push it into running HAProxy.",
    )
    .usage(
      "[options]  (e.g. stapled --haproxy-config /etc/haproxy/haproxy.cfg, or stapled --one-off -p DIR)",
    )
    .version(`stapled ${VERSION}`, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "show this help and exit")
    .configureOutput({ writeOut: write.out, writeErr: write.err, outputError: () => {} })
    .exitOverride()
    .allowExcessArguments(false);
  for (const spec of OPTIONS) {
    const flagName = spec.name;
    const long = `--${flagName}`;
    const value = spec.type === "boolean"
      ? ""
      : spec.optionalValue
      ? ` [${spec.arg}]`
      : ` <${spec.arg}>`;
    const flags = (spec.short ? `-${spec.short}, ` : "") + long + value;
    const option = new Option(flags, spec.help).helpGroup(spec.group);
    if (spec.type === "number" || spec.type === "integer") {
      option.argParser((raw: string) => convertOption(spec, raw));
    }
    program.addOption(option);
    if (spec.name === "daemon") {
      program.addOption(new Option("--no-daemon", "same as --interactive").helpGroup(spec.group));
    }
    if (spec.name === "verbosity") {
      program.addOption(
        new Option("-v", "more verbose, repeat for more (-vvvv: debug); overrides --verbosity")
          .argParser((_: string, previous: number) => previous + 1)
          .default(0)
          .helpGroup(spec.group),
      );
    }
  }
  return program;
}

/**
 * Parses command-line arguments.
 *
 * @param args The arguments after the program name.
 * @param write Where `--help` and `--version` output goes.
 * @returns The explicitly given values.
 * @throws {ConfigError} For unknown options, missing or bad values (exit status 2).
 */
export function parseCommandLine(
  args: string[],
  write: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
    err: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
  },
): CommandLine {
  const program = buildProgram(write);
  try {
    program.parse(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") {
        return { values: {}, verbose: 0, exit: 0 };
      }
      if (err.code === "commander.help") return { values: {}, verbose: 0, exit: 0 };
      const text = err.message.replace(/^error: /, "");
      throw new ConfigError("", `${text} (see stapled --help)`);
    }
    if (err instanceof ConfigError) throw err;
    throw new ConfigError("", `${(err as Error).message} (see stapled --help)`);
  }
  const opts = program.opts();
  const values: CommandLine["values"] = {};
  for (const spec of OPTIONS) {
    const key = camel(spec.name);
    if (program.getOptionValueSource(key) !== "cli") continue;
    values[spec.name] = spec.name === "logdir" && opts[key] === true ? DEFAULT_LOGDIR : opts[key];
  }
  // commander folds --no-X into X=false; keep the original's key names.
  if (program.getOptionValueSource("daemon") === "cli" && opts.daemon === false) {
    delete values.daemon;
    values.interactive = true;
  }
  // --no-haproxy-sockets and --no-recycle are options of their own in the
  // original, not negations: read them from the arguments.
  const end = args.indexOf("--");
  const given = end === -1 ? args : args.slice(0, end);
  if (given.includes("--no-haproxy-sockets")) values["no-haproxy-sockets"] = true;
  if (given.includes("--no-recycle")) values["no-recycle"] = true;
  if (given.includes("--no-watch")) values["no-watch"] = true;
  if (Array.isArray(opts.haproxySockets)) values["haproxy-sockets"] = opts.haproxySockets;
  else delete values["haproxy-sockets"];
  return { values, verbose: opts.v ?? 0 };
}
