/**
 * Responders as they are in the world: far, slow, many and sometimes dead.
 * Per responder (scheme, host, port): a keep-alive connection pool, a bound
 * on requests in flight, a circuit breaker; proxies, overrides, Retry-After
 * and jitter for retries.
 *
 * @module
 */
export * from "./breaker.ts";
export * from "./errors.ts";
export * from "./jitter.ts";
export * from "./key.ts";
export * from "./options.ts";
export * from "./override.ts";
export * from "./pool.ts";
export * from "./proxy.ts";
export * from "./retry_after.ts";
