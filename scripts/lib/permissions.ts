/**
 * The permission flags stapled runs with, for the scripts (build, demo,
 * benchmarks): re-exported from `src/service/permissions.ts`, where they are
 * declared.
 *
 * @module
 */
export { RUN_PROGRAMS, RUNTIME_PERMISSIONS } from "../../src/service/permissions.ts";
