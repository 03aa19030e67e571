/**
 * Typed errors: every failure stapled expects is a value with a `kind`, the
 * file it concerns and a one-line reason.
 *
 * @module
 */
export * from "./errors.ts";
