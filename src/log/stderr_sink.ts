/**
 * The console sink: one formatted line per record on stderr (stdout is left
 * for one-off result lines).
 *
 * @module
 */
import type { Sink } from "@logtape/logtape";
import { formatRecord } from "./format.ts";

/** Options of {@link getStderrSink}. */
export interface StderrSinkOptions {
  /**
   * Format for journald: no timestamp, a `<N>` severity prefix.
   * @default false
   */
  journal?: boolean;
  /**
   * Writes one line (newline included).
   * @default a synchronous write to `Deno.stderr`
   */
  write?: (line: string) => void;
}

/**
 * Makes the console sink.
 *
 * @param options The format and where lines go.
 * @returns A LogTape sink.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const sink = getStderrSink({ write: (line) => lines.push(line) });
 * ```
 */
export function getStderrSink(options: StderrSinkOptions = {}): Sink {
  const { journal = false, write = writeStderr } = options;
  const prefix = journal ? "journal" : "time";
  return function stderrSink(record) {
    write(`${formatRecord(record, { prefix })}\n`);
  };
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  let bytes = encoder.encode(line);
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
}
