/**
 * What HAProxy really serves: `show ssl ocsp-response` (HAProxy 2.2+) lists
 * the CertIDs it holds OCSP responses for, and `show ssl ocsp-response
 * <key>` prints one response as OpenSSL's text; this module parses both and
 * compares them with the staples on disk, so `stapled status --haproxy` can
 * flag every certificate whose served response differs or is missing.
 *
 * The list, HAProxy 2.6 (3.0 adds a `Certificate path : <file>` line after
 * each key):
 *
 * ```
 * # Certificate IDs
 * Certificate ID key : 3041300906052b0e03021a05000414433338f9...0208100014aa094b7170
 *  Certificate ID:
 *    Issuer Name Hash: 433338F94535082C92F4564CBF5C4E2B7868564D
 *    Issuer Key Hash: E6DC25426D69907F3B1E5A149052D926CE7FB5C1
 *    Serial Number: 100014AA094B7170
 * ```
 *
 * One response (an empty line when the certificate's `.ocsp` was empty;
 * `Certificate ID does not match any certificate.` for an unknown key):
 *
 * ```
 * OCSP Response Data:
 *     OCSP Response Status: successful (0x0)
 *     Response Type: Basic OCSP Response
 *     Version: 1 (0x0)
 *     Responder Id: E6DC25426D69907F3B1E5A149052D926CE7FB5C1
 *     Produced At: Dec  1 18:15:27 2026 GMT
 *     Responses:
 *     Certificate ID:
 *       Hash Algorithm: sha1
 *       Issuer Name Hash: 433338F94535082C92F4564CBF5C4E2B7868564D
 *       Issuer Key Hash: E6DC25426D69907F3B1E5A149052D926CE7FB5C1
 *       Serial Number: 100014AA094B7170
 *     Cert Status: good
 *     This Update: Dec  1 17:15:27 2026 GMT
 *     Next Update: Dec  4 18:15:27 2026 GMT
 * ```
 *
 * Parsing is in _served_parse.ts, the comparison with the staples on disk
 * in _served_compare.ts, and the socket query in _served_query.ts.
 *
 * @module
 */
export {
  parseOcspResponse,
  parseOcspResponseList,
  parseOpensslTime,
  type ServedCertId,
  type ServedResponse,
} from "./_served_parse.ts";
export {
  certIdKey,
  compareServed,
  type ExpectedStaple,
  type ServedHealth,
} from "./_served_compare.ts";
export { showOcspResponses, type ShowOcspResponsesOptions } from "./_served_query.ts";
