/**
 * The OCSP responder the end-to-end benchmarks run against: the test
 * responder's HTTP server (`startResponder` on 127.0.0.1, a free port)
 * answering each request with a response signed in advance. Signing at
 * request time (`caHandler`) would put the responder's own work (about a
 * millisecond per response, plus a status lookup that walks the whole
 * table) on the two cores stapled is measured on; a real CA serves
 * pre-signed responses from a cache or CDN too.
 *
 * @module
 */
import { OCSPResponseStatus } from "@peculiar/asn1-ocsp";
import { ocspHttpResponse, startResponder, statusOnlyResponse } from "../lib/ocsp_responder.ts";
import { toHex } from "../../src/certs/parsed_cert.ts";

/** A running pre-signed responder. */
export interface PresignedResponder {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Requests answered so far. */
  readonly served: number;
  /**
   * Adds responses to serve.
   *
   * @param responses DER responses by serial hex.
   */
  add(responses: ReadonlyMap<string, Uint8Array>): void;
  /**
   * The response served for a serial.
   *
   * @param serialHex The serial, lower-case hex.
   * @returns The DER response, if it has one.
   */
  get(serialHex: string): Uint8Array | undefined;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts the responder. A request for an unknown serial gets `unauthorized`.
 *
 * @returns The running responder.
 */
export function startPresignedResponder(): PresignedResponder {
  const table = new Map<string, Uint8Array>();
  let served = 0;
  const server = startResponder((_req, parsed) => {
    server.requests.length = 0; // it keeps every request otherwise
    served++;
    const der = parsed?.certIds.length === 1
      ? table.get(toHex(parsed.certIds[0].serialNumber))
      : undefined;
    return ocspHttpResponse(der ?? statusOnlyResponse(OCSPResponseStatus.unauthorized));
  });
  return {
    url: server.url,
    get served() {
      return served;
    },
    add(responses) {
      for (const [serial, der] of responses) table.set(serial, der);
    },
    get: (serialHex) => table.get(serialHex),
    close: () => server.close(),
  };
}
