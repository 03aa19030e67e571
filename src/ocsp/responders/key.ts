/**
 * A responder's identity: scheme, host and port. Connections, the in-flight
 * limit and the circuit breaker are kept per key, so two URLs on the same
 * server share them and a dead server costs only its own certificates.
 *
 * @module
 */

/** A responder: where its connections go. */
export interface ResponderKey {
  /** `http` or `https`. */
  readonly scheme: string;
  /** The host, lowercase (an IPv6 address in brackets). */
  readonly host: string;
  /** The port, the scheme's default filled in. */
  readonly port: number;
  /** `scheme://host:port`, for maps and logs. */
  readonly id: string;
}

/**
 * The key of the responder serving `url`.
 *
 * @param url An http or https URL.
 * @returns Its scheme, host and port.
 * @throws {TypeError} If `url` is not a URL.
 *
 * @example Two URLs, one responder
 * ```ts
 * import { responderKey } from "./key.ts";
 *
 * const a = responderKey("http://OCSP.example.test/r3");
 * const b = responderKey("http://ocsp.example.test:80/e1");
 * console.assert(a.id === b.id && a.id === "http://ocsp.example.test:80");
 * ```
 */
export function responderKey(url: string | URL): ResponderKey {
  const parsed = typeof url === "string" ? new URL(url) : url;
  const scheme = parsed.protocol.replace(/:$/, "");
  const host = parsed.hostname.toLowerCase();
  const port = parsed.port !== ""
    ? Number(parsed.port)
    : scheme === "https"
    ? 443
    : scheme === "http"
    ? 80
    : 0;
  return { scheme, host, port, id: `${scheme}://${host}:${port}` };
}
