/**
 * Logging for stapled: LogTape set up for stderr, a rotating log file and
 * syslog; stack-trace dumps; repeat suppression. Modules log with
 * `getLogger(["stapled", "<module>"])` from `@logtape/logtape`.
 *
 * @module
 */
export * from "./levels.ts";
export * from "./format.ts";
export * from "./stderr_sink.ts";
export * from "./syslog_sink.ts";
export * from "./setup.ts";
export * from "./stack_trace.ts";
export * from "./repeat_filter.ts";
