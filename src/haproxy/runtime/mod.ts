/**
 * The HAProxy runtime API client that pushes OCSP staples to running
 * HAProxies without a restart: {@link HaproxyRuntimeClient} for one stats
 * socket, {@link HaproxyAdder} for all of them.
 *
 * @module
 */
export * from "../address.ts";
export * from "./adder.ts";
export * from "./client.ts";
export * from "./show_ssl_cert.ts";
export * from "./staple_not_sent.ts";
