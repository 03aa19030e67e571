/**
 * The daemon: scheduling the finder, parser, renewer and adder, and the
 * renewal and retry policy.
 *
 * @module
 */
export * from "./daemon.ts";
export * from "./policy.ts";
