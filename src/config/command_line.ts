/**
 * The command line, parsed with commander from the option table
 * ({@linkcode OPTIONS}) into the values the operator gave explicitly, keyed
 * by long option name, the same keys a `stapled.conf` uses. A bad value is
 * refused here, as a one-line `ConfigError` (exit status 2).
 *
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "../errors/mod.ts";
import {
  optionHelp,
  OPTIONS,
  type OptionSpec,
  type OptionValue,
  rangeProblem,
  VERSION,
} from "./options.ts";

/** What the command line said. */
export interface CommandLine {
  /** Values given explicitly, by long option name (`no-daemon` as `interactive: true`). */
  values: Record<string, string | number | boolean | string[]>;
  /** Number of `-v` flags (0 when none). */
  verbose: number;
  /** Set when `--help` or `--version` printed something: exit with this status. */
  exit?: number;
}

/** Where `--help`, `--version` and commander's errors go. */
export interface CommandLineOutput {
  /** Standard output. */
  out: (s: string) => void;
  /** Standard error. */
  err: (s: string) => void;
}

const SPECS: readonly OptionSpec[] = OPTIONS;

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function example(spec: OptionSpec): string {
  const flag = spec.short ? `-${spec.short}` : `--${spec.name}`;
  const value = typeof spec.default === "number" ? spec.default : spec.range?.min ?? 60;
  return `${flag} ${value}`;
}

/**
 * Checks and converts one command-line value of an option: numbers must be
 * numbers (whole for integer options) within the option's range.
 *
 * @param spec The option.
 * @param raw The text given.
 * @returns The converted value.
 * @throws {ConfigError} When the value does not fit the type or range.
 *
 * @example A keepalive of 0 is refused
 * ```ts
 * import { convertOption } from "./command_line.ts";
 * import { optionSpec } from "./options.ts";
 * console.log(convertOption(optionSpec("timeout"), "2.5")); // 2.5
 * try {
 *   convertOption(optionSpec("haproxy-socket-keepalive"), "0");
 * } catch (err) {
 *   console.log((err as Error).message); // "--haproxy-socket-keepalive must be 1 to 2147483 seconds, not 0 (e.g. ...)"
 * }
 * ```
 */
export function convertOption(spec: OptionSpec, raw: string): number | string {
  if (spec.type !== "number" && spec.type !== "integer") return raw;
  const n = Number(raw);
  const whole = spec.type === "integer";
  if (raw.trim() === "" || !Number.isFinite(n) || (whole && !Number.isSafeInteger(n))) {
    throw new ConfigError(
      "",
      `--${spec.name} takes a ${whole ? "whole " : ""}number, not "${raw}" (e.g. ${example(spec)})`,
    );
  }
  const problem = rangeProblem(spec, n);
  if (problem !== undefined) {
    throw new ConfigError("", `--${spec.name} ${problem}, not ${raw} (e.g. ${example(spec)})`);
  }
  return n;
}

/**
 * Builds the commander program (for parsing and for `--help`) from
 * {@linkcode OPTIONS}.
 *
 * @param write Where help and errors go.
 * @returns The program.
 *
 * @example Printing the help
 * ```ts
 * import { buildProgram } from "./command_line.ts";
 * const help = buildProgram({ out: () => {}, err: () => {} }).helpInformation();
 * console.log(help.includes("--haproxy-socket-keepalive <SECONDS>")); // true
 * ```
 */
export function buildProgram(write: CommandLineOutput): Command {
  const program = new Command("stapled")
    .description(
      "Keep OCSP staples fresh for HAProxy (and nginx): find certificates, fetch and validate " +
        "their OCSP responses, write <cert>.ocsp atomically and push it into running HAProxy.",
    )
    .usage(
      "[options]  (e.g. stapled --haproxy-config /etc/haproxy/haproxy.cfg, or stapled --one-off -p DIR)\n" +
        "       stapled status [--json] [--haproxy] [options]  the health of every staple and responder\n" +
        "       stapled check [-v] [--minimum-validity N] [options]  Nagios/Icinga probe: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
    )
    .version(`stapled ${VERSION}`, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "show this help and exit")
    .configureOutput({ writeOut: write.out, writeErr: write.err, outputError: () => {} })
    .exitOverride()
    .allowExcessArguments(false);
  for (const spec of SPECS) {
    const value = spec.type === "boolean"
      ? ""
      : spec.implied !== undefined
      ? ` [${spec.arg}]`
      : ` <${spec.arg}>`;
    const flags = (spec.short ? `-${spec.short}, ` : "") + `--${spec.name}` + value;
    const option = new Option(flags, optionHelp(spec)).helpGroup(spec.group);
    if (spec.type === "number" || spec.type === "integer") {
      option.argParser((raw: string) => convertOption(spec, raw));
    }
    program.addOption(option);
    if (spec.noFlagHelp !== undefined) {
      program.addOption(new Option(`--no-${spec.name}`, spec.noFlagHelp).helpGroup(spec.group));
    }
    if (spec.counter !== undefined) {
      program.addOption(
        new Option(`-${spec.counter.short}`, spec.counter.help)
          .argParser((_: string, previous: number) => previous + 1)
          .default(0)
          .helpGroup(spec.group),
      );
    }
  }
  return program;
}

const STDOUT_STDERR: CommandLineOutput = {
  out: (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
  err: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
};

/**
 * Parses command-line arguments.
 *
 * @param args The arguments after the program name.
 * @param write Where `--help` and `--version` output goes.
 * @returns The explicitly given values.
 * @throws {ConfigError} For unknown options, missing or bad values (exit status 2).
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./command_line.ts";
 * const { values } = parseCommandLine(["-p", "/etc/ssl/a", "/etc/ssl/b", "-t", "4"]);
 * console.log(values); // { "cert-paths": ["/etc/ssl/a", "/etc/ssl/b"], "renewal-threads": 4 }
 * ```
 */
export function parseCommandLine(
  args: string[],
  write: CommandLineOutput = STDOUT_STDERR,
): CommandLine {
  const program = buildProgram(write);
  try {
    program.parse(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" || err.code === "commander.version" ||
        err.code === "commander.help"
      ) {
        return { values: {}, verbose: 0, exit: 0 };
      }
      const text = err.message.replace(/^error: /, "");
      throw new ConfigError("", `${text} (see stapled --help)`);
    }
    if (err instanceof ConfigError) throw err;
    throw new ConfigError("", `${(err as Error).message} (see stapled --help)`);
  }
  const opts = program.opts();
  const values: CommandLine["values"] = {};
  const end = args.indexOf("--");
  const given = end === -1 ? args : args.slice(0, end);
  for (const spec of SPECS) {
    const key = camel(spec.name);
    if (spec.name.startsWith("no-")) {
      // --no-haproxy-sockets, --no-recycle and --no-watch are options of
      // their own in the original, not negations (commander would fold them
      // into haproxySockets, recycle, watch): read them from the arguments.
      if (given.includes(`--${spec.name}`)) values[spec.name] = true;
      continue;
    }
    if (program.getOptionValueSource(key) !== "cli") continue;
    let value: OptionValue = opts[key];
    if (spec.implied !== undefined && value === true) value = spec.implied;
    if (spec.type === "list" && !Array.isArray(value)) continue; // folded from a --no-<list>
    if (spec.noFlagHelp !== undefined && value === false) {
      // commander folds --no-daemon into daemon=false; keep the original's key.
      const unsetter = SPECS.find((o) => o.unsets === spec.name);
      if (unsetter !== undefined) values[unsetter.name] = true;
      continue;
    }
    values[spec.name] = Array.isArray(value) ? [...value] : value as string | number | boolean;
  }
  const counter = SPECS.find((o) => o.counter !== undefined)?.counter;
  return { values, verbose: counter === undefined ? 0 : opts[counter.short] ?? 0 };
}
