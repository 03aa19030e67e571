/**
 * The text form of a log record: `time LEVEL [certificate] message`, with the
 * certificate taken from the record's `cert` property when present.
 *
 * @module
 */
import type { LogRecord } from "@logtape/logtape";
import { LEVEL_NAMES, SYSLOG_SEVERITIES } from "./levels.ts";

/** The record property naming the certificate a message is about. */
export const CERT_PROPERTY = "cert";

/** Options of {@link formatRecord}. */
export interface FormatRecordOptions {
  /**
   * The line's prefix: `"time"` for an ISO 8601 UTC timestamp, `"journal"`
   * for journald's `<N>` severity prefix (journald stamps lines itself), or
   * `"none"`.
   * @default "time"
   */
  prefix?: "time" | "journal" | "none";
}

/**
 * Formats a record as one line of text, without the newline:
 * `2026-01-02T03:04:05.678Z INFO     [/etc/ssl/a.pem] message`, or
 * `<6>INFO [/etc/ssl/a.pem] message` for journald. The level is padded only
 * after a timestamp.
 *
 * @param record The log record.
 * @param options Which prefix to use.
 * @returns The line.
 *
 * @example
 * ```ts
 * import type { LogRecord } from "@logtape/logtape";
 * const record: LogRecord = {
 *   category: ["stapled"],
 *   level: "warning",
 *   message: ["staple expires soon"],
 *   rawMessage: "staple expires soon",
 *   properties: { cert: "/etc/ssl/a.pem" },
 *   timestamp: 0,
 * };
 * const line = formatRecord(record, { prefix: "journal" });
 * console.assert(line === "<4>WARNING [/etc/ssl/a.pem] staple expires soon");
 * ```
 */
export function formatRecord(record: LogRecord, options: FormatRecordOptions = {}): string {
  const { prefix = "time" } = options;
  const level = LEVEL_NAMES[record.level];
  switch (prefix) {
    case "time":
      return `${new Date(record.timestamp).toISOString()} ${level.padEnd(8)} ${formatBody(record)}`;
    case "journal":
      return `<${SYSLOG_SEVERITIES[record.level]}>${level} ${formatBody(record)}`;
    case "none":
      return `${level} ${formatBody(record)}`;
  }
}

/**
 * The record's `[certificate] message` part, without level or time.
 *
 * @param record The log record.
 * @returns The certificate in brackets (when the record names one) and the
 *   message with its values filled in.
 *
 * @example
 * ```ts
 * import type { LogRecord } from "@logtape/logtape";
 * const record: LogRecord = {
 *   category: ["stapled"],
 *   level: "warning",
 *   message: ["staple expires soon"],
 *   rawMessage: "staple expires soon",
 *   properties: { cert: "/etc/ssl/a.pem" },
 *   timestamp: 0,
 * };
 * console.assert(formatBody(record) === "[/etc/ssl/a.pem] staple expires soon");
 * ```
 */
export function formatBody(record: LogRecord): string {
  const cert = record.properties[CERT_PROPERTY];
  const message = renderMessage(record.message);
  return cert === undefined || cert === null || cert === "" ? message : `[${cert}] ${message}`;
}

function renderMessage(parts: readonly unknown[]): string {
  let text = "";
  for (const [index, part] of parts.entries()) {
    text += index % 2 === 0 ? String(part) : renderValue(part);
  }
  return text;
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return Deno.inspect(value, { colors: false, compact: true, breakLength: Infinity });
}
