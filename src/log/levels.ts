/**
 * The log levels of stapled: how `--verbosity` maps to a LogTape level, how
 * each level is named in text, and its syslog severity.
 *
 * @module
 */
import type { LogLevel } from "@logtape/logtape";
import { DEFAULTS } from "../config/defaults.ts";

/**
 * The lowest level shown at each verbosity, after the original's 0-4 scale:
 * 0 critical, 1 error, 2 warning, 3 info, 4 debug. LogTape calls critical
 * `fatal`.
 */
export const VERBOSITY_LEVELS = ["fatal", "error", "warning", "info", "debug"] as const;

/** A LogTape level a verbosity can select. */
export type VerbosityLevel = typeof VERBOSITY_LEVELS[number];

/**
 * The verbosity used when none is given: `--verbosity`'s default, 3, info.
 * (The original defaulted to 2, warning; stapled shows what it does by
 * default and `--verbosity 2` restores the original's quiet.)
 */
export const DEFAULT_VERBOSITY: number = DEFAULTS.verbosity;

/** How each level is written in text logs (the original's names). */
export const LEVEL_NAMES = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
} as const satisfies Record<LogLevel, string>;

/**
 * The syslog severity of each level (RFC 5424 §6.2.1), also used as the
 * `<N>` prefix journald reads from stderr.
 */
export const SYSLOG_SEVERITIES = {
  trace: 7,
  debug: 7,
  info: 6,
  warning: 4,
  error: 3,
  fatal: 2,
} as const satisfies Record<LogLevel, number>;

/**
 * The lowest level shown at a verbosity. Values above 4 (repeated `-v`) mean
 * debug.
 *
 * @param verbosity 0 (critical only) to 4 (debug).
 * @returns The LogTape level.
 * @throws {RangeError} If `verbosity` is not a non-negative integer.
 *
 * @example
 * ```ts
 * verbosityToLevel(2); // "warning"
 * ```
 */
export function verbosityToLevel(verbosity: number): VerbosityLevel {
  if (!Number.isInteger(verbosity) || verbosity < 0) {
    throw new RangeError(
      `Cannot set the verbosity: ${verbosity} is not a whole number from 0 to 4`,
    );
  }
  return VERBOSITY_LEVELS[Math.min(verbosity, VERBOSITY_LEVELS.length - 1)];
}
