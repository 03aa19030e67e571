/**
 * The error for a staple stapled does not hand to HAProxy at all (too large
 * for HAProxy's CLI, or skipped after it broke the connection): HAProxy keeps
 * serving the staple it has.
 *
 * @module
 */
import { StapledError } from "../../errors/mod.ts";

/**
 * A staple that was not sent to a HAProxy socket, and why. Its kind is
 * `StapleAdderBadResponse` (the staple did not get into HAProxy), but nothing
 * reached HAProxy, so it carries no reply.
 *
 * @example Refuse an oversized staple
 * ```ts
 * import { StapleNotSentError } from "./staple_not_sent.ts";
 * const err = new StapleNotSentError("/etc/haproxy/a.pem", "the OCSP response is 13000 bytes");
 * console.assert(err.message === "/etc/haproxy/a.pem: staple not sent to HAProxy: the OCSP response is 13000 bytes");
 * ```
 */
export class StapleNotSentError extends StapledError {
  /**
   * @param file The certificate file whose staple was not sent.
   * @param reason Why it was not sent.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super("StapleAdderBadResponse", file, `staple not sent to HAProxy: ${reason}`, options);
  }
}
