/**
 * Scheduling: a hashed hierarchical timer wheel running tasks in named
 * queues, each with its handler and concurrency limit, on an injected clock.
 *
 * @module
 */
export * from "./clock.ts";
export * from "./scheduler.ts";
export * from "./task.ts";
