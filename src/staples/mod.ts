/**
 * Staple storage: the {@linkcode StapleStore} interface and its files on disk
 * (naming, bounded reads, atomic writes, the removal of leftovers from
 * interrupted writes).
 *
 * @module
 */
export * from "./paths.ts";
export * from "./read.ts";
export * from "./write.ts";
export * from "./leftovers.ts";
export * from "./cleaner.ts";
export * from "./limits.ts";
export * from "./store.ts";
export * from "./state.ts";
