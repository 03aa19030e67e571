/**
 * Reading HAProxy's configuration: which certificates it serves (`crt`,
 * `crt-list`, `crt-base`, `ssl-load-extra-del-ext`, `ssl-load-extra-files`)
 * and which stats sockets it opens, with HAProxy 2.6's own quoting,
 * variables and `.if` blocks; and where HAProxy reads each certificate's
 * staple and issuer.
 *
 * @module
 */
export * from "./types.ts";
export * from "./tokenize_line.ts";
export * from "./evaluate_condition.ts";
export * from "./parse_crt_list.ts";
export * from "./read_config.ts";
export * from "./read_configs.ts";
export * from "./staple_files.ts";
