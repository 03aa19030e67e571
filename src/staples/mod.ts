/**
 * Staple files on disk: naming, atomic writes, reads.
 *
 * @module
 */
export * from "./paths.ts";
export * from "./write.ts";
export * from "./limits.ts";
