/**
 * Configures LogTape for stapled: the `["stapled"]` category tree goes to
 * stderr, a rotating file in the log directory and/or syslog, at the level
 * `--verbosity` selects. Other modules log with
 * `getLogger(["stapled", "<module>"])` from `@logtape/logtape`.
 *
 * @module
 */
import { configure, getLogger, reset, type Sink } from "@logtape/logtape";
import { getRotatingFileSink } from "@logtape/file";
import { ConfigError } from "../errors/mod.ts";
import { formatRecord } from "./format.ts";
import { DEFAULT_VERBOSITY, verbosityToLevel } from "./levels.ts";
import { getStderrSink } from "./stderr_sink.ts";
import { DEFAULT_SYSLOG_PATH, getSyslogSink, type SyslogFacility } from "./syslog_sink.ts";

/** The log file's name inside the log directory. */
export const LOG_FILE_NAME = "stapled.log";

/** The size at which the log file is rotated: 10 MiB. */
export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;

/** How many rotated log files (`stapled.log.1` ... `.5`) are kept. */
export const DEFAULT_MAX_FILES = 5;

/** Options of {@link setupLogging}. */
export interface SetupLoggingOptions {
  /**
   * 0 critical, 1 error, 2 warning, 3 info, 4 debug (more means debug).
   * @default DEFAULT_VERBOSITY
   */
  verbosity?: number;
  /**
   * Write nothing to stderr.
   * @default false
   */
  quiet?: boolean;
  /**
   * Also write `<logdir>/stapled.log`, rotated by size; the directory is
   * created if missing. Needs `--allow-read` and `--allow-write` for it.
   * @default undefined (no log file)
   */
  logdir?: string;
  /**
   * The size in bytes at which the log file is rotated to `stapled.log.1`.
   * @default 10 MiB
   */
  maxFileSize?: number;
  /**
   * How many rotated files (`stapled.log.1` ... `stapled.log.<maxFiles>`) to
   * keep besides `stapled.log`; older ones are deleted.
   * @default 5
   */
  maxFiles?: number;
  /**
   * Also send to the local syslog socket; needs Deno's `--unstable-net`
   * (see `syslog_sink.ts`).
   * @default false
   */
  syslog?: boolean;
  /**
   * The syslog socket.
   * @default "/dev/log"
   */
  syslogPath?: string;
  /**
   * The syslog facility.
   * @default "daemon"
   */
  syslogFacility?: SyslogFacility;
  /**
   * Format stderr for journald (`<N>` prefix, no timestamp).
   * @default whether `JOURNAL_STREAM` is set in `env`
   */
  journal?: boolean;
  /**
   * Where `JOURNAL_STREAM` is looked up.
   * @default Deno.env
   */
  env?: { get(name: string): string | undefined };
  /**
   * Writes one line to stderr (newline included).
   * @default a synchronous write to `Deno.stderr`
   */
  writeStderr?: (line: string) => void;
}

/**
 * Configures logging, replacing any earlier configuration (its files and
 * sockets are closed). LogTape's own meta logger goes to the same sinks at
 * warning and above, so its start-up notice is silenced but failing sinks are
 * still reported.
 *
 * @param options What to log and where.
 * @returns When logging is configured.
 * @throws {RangeError} For a negative or fractional verbosity, or a
 *   non-positive file size or count.
 * @throws {ConfigError} When the log directory or file cannot be created or
 *   opened, or syslog cannot be used (see `getSyslogSink`).
 *
 * @example Info to stderr and a log directory
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * const logdir = await Deno.makeTempDir();
 * await setupLogging({ verbosity: 3, logdir });
 * getLogger(["stapled", "daemon"]).info("Started");
 * await shutdownLogging();
 * await Deno.remove(logdir, { recursive: true });
 * ```
 */
export async function setupLogging(options: SetupLoggingOptions = {}): Promise<void> {
  const {
    verbosity = DEFAULT_VERBOSITY,
    quiet = false,
    logdir,
    maxFileSize = DEFAULT_MAX_FILE_SIZE,
    maxFiles = DEFAULT_MAX_FILES,
    syslog = false,
    syslogPath = DEFAULT_SYSLOG_PATH,
    syslogFacility = "daemon",
    env = Deno.env,
    journal = hasJournalStream(env),
    writeStderr,
  } = options;
  const level = verbosityToLevel(verbosity);
  if (!Number.isInteger(maxFileSize) || maxFileSize <= 0) {
    throw new RangeError(`Cannot rotate the log file: maxFileSize ${maxFileSize} is not positive`);
  }
  if (!Number.isInteger(maxFiles) || maxFiles <= 0) {
    throw new RangeError(`Cannot rotate the log file: maxFiles ${maxFiles} is not positive`);
  }

  const sinks: Record<string, Sink> = {};
  try {
    if (!quiet) sinks.stderr = getStderrSink({ journal, write: writeStderr });
    if (logdir !== undefined) sinks.file = openLogFile(logdir, maxFileSize, maxFiles);
    if (syslog) {
      sinks.syslog = getSyslogSink({
        path: syslogPath,
        facility: syslogFacility,
        onError: reportSyslogFailure(syslogPath),
      });
    }
  } catch (err) {
    await disposeAll(Object.values(sinks));
    throw err;
  }
  const sinkIds = Object.keys(sinks);
  await configure({
    reset: true,
    sinks,
    loggers: [
      { category: ["stapled"], sinks: sinkIds, lowestLevel: level },
      {
        category: ["logtape", "meta"],
        sinks: sinkIds,
        lowestLevel: "warning",
        parentSinks: "override",
      },
    ],
  });
}

/**
 * Flushes and closes the log file and syslog socket, and removes the
 * configuration. Call it before the process exits.
 *
 * @returns When everything is closed.
 *
 * @example
 * ```ts
 * await shutdownLogging();
 * ```
 */
export async function shutdownLogging(): Promise<void> {
  await reset();
}

function hasJournalStream(env: { get(name: string): string | undefined }): boolean {
  try {
    return (env.get("JOURNAL_STREAM") ?? "") !== "";
  } catch {
    return false;
  }
}

function openLogFile(logdir: string, maxSize: number, maxFiles: number): Sink & Disposable {
  try {
    Deno.mkdirSync(logdir, { recursive: true });
  } catch (err) {
    throw new ConfigError(logdir, `cannot create the log directory: ${firstLine(err)}`, {
      cause: err,
    });
  }
  const file = `${logdir.replace(/\/+$/, "")}/${LOG_FILE_NAME}`;
  try {
    return getRotatingFileSink(file, {
      maxSize,
      maxFiles,
      bufferSize: 0,
      formatter: (record) => `${formatRecord(record)}\n`,
    });
  } catch (err) {
    throw new ConfigError(file, `cannot open the log file: ${firstLine(err)}`, { cause: err });
  }
}

function reportSyslogFailure(path: string): (err: unknown) => void {
  return function report(err) {
    getLogger(["stapled", "log"]).error("Cannot send to syslog at {path}: {reason}", {
      path,
      reason: firstLine(err),
    });
  };
}

async function disposeAll(sinks: Sink[]): Promise<void> {
  for (const sink of sinks) {
    if (Symbol.asyncDispose in sink) await (sink as Sink & AsyncDisposable)[Symbol.asyncDispose]();
    else if (Symbol.dispose in sink) (sink as Sink & Disposable)[Symbol.dispose]();
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}
