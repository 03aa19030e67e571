/**
 * Finding certificate files in the cert paths and noticing when they change:
 * a one-off search, a streaming walk, a scanner that reports what was added,
 * changed or removed since its last scan, and a file system watch that
 * nudges the daemon to rescan.
 *
 * @module
 */

export * from "./types.ts";
export * from "./ignore.ts";
export * from "./walk.ts";
export * from "./find.ts";
export * from "./scanner.ts";
export * from "./watch.ts";
