/**
 * The engine (finder -> parser -> renewer -> store -> adder on one
 * scheduler), the daemon that runs it for ever, its lifecycle (signals,
 * reloads), the source-to-socket mapping of a configuration, and the
 * renewal policy.
 *
 * @module
 */
export * from "./types.ts";
export * from "./engine.ts";
export * from "./daemon.ts";
export * from "./sources.ts";
export * from "./lifecycle.ts";
export * from "./policy.ts";
