/**
 * The renewer: one certificate's staple, reused or fetched, validated, written.
 *
 * @module
 */
export * from "./renew.ts";
export * from "./recall.ts";
