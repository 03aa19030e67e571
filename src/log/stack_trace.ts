/**
 * Dumps the stack trace of an unexpected exception to a file in the log
 * directory, so the daemon can log one line and keep running.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";

/** Options of {@link dumpStackTrace}. */
export interface DumpStackTraceOptions {
  /**
   * The clock, for the file name and its contents.
   * @default () => new Date()
   */
  now?: () => Date;
  /**
   * The process id in the file name.
   * @default Deno.pid
   */
  pid?: number;
}

const MAX_NAME_ATTEMPTS = 100;

/**
 * Writes `<logdir>/stapled-trace-<UTC time>-<pid>.txt` (with `-2`, `-3`, ...
 * when that exists) holding the time, the context, the error's stack and
 * its causes. Needs `--allow-write` for the directory.
 *
 * @param logdir The directory to write into; it must exist.
 * @param context What was being done, e.g. `renewing the staple of /etc/ssl/a.pem`.
 * @param err What was thrown.
 * @param options The clock and pid to use.
 * @returns The file's path, or `undefined` when it could not be written (the
 *   reason is logged as an error on `["stapled", "log"]`).
 *
 * @example
 * ```ts
 * const logdir = await Deno.makeTempDir();
 * const path = await dumpStackTrace(logdir, "parsing /etc/ssl/a.pem", new Error("boom"));
 * console.assert(path !== undefined && (await Deno.readTextFile(path)).includes("boom"));
 * await Deno.remove(logdir, { recursive: true });
 * ```
 */
export async function dumpStackTrace(
  logdir: string,
  context: string,
  err: unknown,
  options: DumpStackTraceOptions = {},
): Promise<string | undefined> {
  const { now = () => new Date(), pid = Deno.pid } = options;
  const time = now();
  const stamp = time.toISOString().replace(/[-:]/g, "").replace(".", "-");
  const base = `${logdir.replace(/\/+$/, "")}/stapled-trace-${stamp}-${pid}`;
  const text = traceText(time, context, err);
  for (let attempt = 1; attempt <= MAX_NAME_ATTEMPTS; attempt++) {
    const path = attempt === 1 ? `${base}.txt` : `${base}-${attempt}.txt`;
    try {
      await Deno.writeTextFile(path, text, { createNew: true, mode: 0o600 });
      return path;
    } catch (writeErr) {
      if (writeErr instanceof Deno.errors.AlreadyExists) continue;
      logFailure(logdir, writeErr);
      return undefined;
    }
  }
  logFailure(logdir, new Error(`${MAX_NAME_ATTEMPTS} trace files named ${base}* exist`));
  return undefined;
}

function traceText(time: Date, context: string, err: unknown): string {
  const lines = [
    "stapled: unexpected exception",
    `time: ${time.toISOString()}`,
    `context: ${context}`,
    `deno: ${Deno.version.deno}`,
    "",
    describeThrown(err),
  ];
  const seen = new Set<unknown>([err]);
  let cause = err instanceof Error ? err.cause : undefined;
  while (cause !== undefined && !seen.has(cause)) {
    seen.add(cause);
    lines.push("", "caused by:", describeThrown(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return `${lines.join("\n")}\n`;
}

function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  return `thrown value: ${Deno.inspect(value, { colors: false })}`;
}

function logFailure(logdir: string, err: unknown): void {
  const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
  getLogger(["stapled", "log"]).error(
    "Cannot write a stack trace to {logdir}: {reason}; make the directory writable",
    { logdir, reason },
  );
}
