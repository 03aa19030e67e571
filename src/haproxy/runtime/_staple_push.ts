/**
 * The command sequence that hands HAProxy a staple: `set ssl ocsp-response`,
 * and for a certificate that had no `.ocsp` file when HAProxy started, a
 * `set ssl cert <crt>.ocsp` + `commit ssl cert <crt>` transaction (HAProxy
 * 2.2+) that enables stapling for it without a restart; when the bundle
 * holds no issuer, the transaction first sets `<crt>.issuer`.
 *
 * @module
 */
import { StapleAdderBadResponse } from "../../errors/mod.ts";
import { findLoadedCertPath } from "./_cert_path.ts";
import { encodeBase64 } from "../../certs/mod.ts";
import { MAX_STAPLE_BYTES } from "../../staples/limits.ts";
import { commandBytes, escapeCliWord, MAX_COMMAND_BYTES } from "./_framing.ts";
import { parseShowSslCert } from "./show_ssl_cert.ts";
import { StapleNotSentError } from "./staple_not_sent.ts";

/** Sends one command (with an optional payload) and returns the cleaned reply. */
export type SendCommand = (line: string, payload?: string) => Promise<string>;

/** How HAProxy took a staple. */
export type StapleOutcome = "updated" | "committed";

/** Options of {@link pushStaple}. */
export interface PushStapleOptions {
  /** Resolves a path to its real path (to match HAProxy's name for the file). */
  realPath: (path: string) => Promise<string>;
  /** Abort a `set ssl cert` transaction left open for the same certificate. */
  abortOpenTransaction: boolean;
  /**
   * The issuer PEM to set with `set ssl cert <loaded>.issuer` before the
   * `.ocsp`, given HAProxy's name for the file; `undefined` when the bundle
   * holds it or none is known. Asked only when a transaction is needed.
   */
  issuer?: (loaded: string) => Promise<string | undefined>;
  /** HAProxy's name for the certificate (a crt-store `@store/name`), instead of finding it by path. */
  runtimeName?: string;
}

/** Reply to an accepted `set ssl ocsp-response` (also for a revoked status). */
const OCSP_UPDATED = "OCSP Response updated!";

/**
 * Reply to `set ssl ocsp-response` for a response whose CertID matches no
 * certificate that had OCSP enabled at startup:
 * `OCSP single response: Certificate ID does not match any certificate or issuer.`
 */
const CERT_ID_UNKNOWN_REGEXP = /Certificate ID does not match any certificate/;

/** A refusal quotes at most this many lines of HAProxy's reply (help texts are long). */
const MAX_QUOTED_LINES = 4;

/** Reply to `abort ssl cert <crt>`: `Transaction aborted for certificate '<crt>'!` */
const ABORTED_REGEXP = /^Transaction aborted for certificate/;

/**
 * Pushes a DER OCSP response for `certPath` through `send`, which must run the
 * commands back to back on one connection.
 *
 * @param send Sends one command.
 * @param certPath The certificate file the staple is for.
 * @param der The DER OCSP response.
 * @param options Path resolution and the open-transaction policy.
 * @returns `"updated"` when HAProxy already stapled the certificate,
 *   `"committed"` when the transaction enabled it.
 * @throws {StapleAdderBadResponse} With HAProxy's reply when it refuses.
 * @throws {StapleNotSentError} Before sending anything, if the response is
 *   larger than `MAX_STAPLE_BYTES` (HAProxy would drop the connection).
 *
 * @example Push to a HAProxy that already staples the certificate
 * ```ts
 * import assert from "node:assert/strict";
 * import { pushStaple } from "./_staple_push.ts";
 * const sent: string[] = [];
 * const send = (line: string) => {
 *   sent.push(line);
 *   return Promise.resolve("OCSP Response updated!");
 * };
 * const outcome = await pushStaple(send, "/etc/haproxy/a.pem", new Uint8Array([0x30, 0x00]), {
 *   realPath: Deno.realPath,
 *   abortOpenTransaction: true,
 * });
 * assert.ok(outcome === "updated" && sent.join() === "set ssl ocsp-response");
 * ```
 */
export async function pushStaple(
  send: SendCommand,
  certPath: string,
  der: Uint8Array,
  options: PushStapleOptions,
): Promise<StapleOutcome> {
  if (der.length > MAX_STAPLE_BYTES) {
    throw new StapleNotSentError(
      certPath,
      `the OCSP response is ${der.length} bytes, more than the ${MAX_STAPLE_BYTES} ` +
        `HAProxy's CLI surely takes (a padded response?); HAProxy keeps its current staple`,
    );
  }
  const base64 = encodeBase64(der);
  // "+ + OCSP Response updated!" (one "+ " echo per payload line)
  const reply = await send("set ssl ocsp-response", base64);
  if (reply === OCSP_UPDATED) return "updated";
  if (!CERT_ID_UNKNOWN_REGEXP.test(reply)) throw refused(certPath, reply);

  const listing = parseShowSslCert(await send("show ssl cert"));
  const { runtimeName } = options;
  const loaded = runtimeName === undefined
    ? await findLoadedCertPath(listing.files, certPath, options.realPath)
    : listing.files.includes(runtimeName)
    ? runtimeName
    : undefined;
  if (loaded === undefined) {
    throw new StapleAdderBadResponse(
      certPath,
      `${reply}\n'show ssl cert' lists no ${
        runtimeName === undefined ? `file that is ${certPath}` : `certificate ${runtimeName}`
      }`,
    );
  }
  if (listing.transaction !== null) {
    await clearTransaction(send, certPath, loaded, listing.transaction, options);
  }

  const setCert = `set ssl cert ${escapeCliWord(`${loaded}.ocsp`)}`;
  const bytes = commandBytes(`${setCert} <<\n${base64}\n\n`);
  if (bytes > MAX_COMMAND_BYTES) {
    throw new StapleNotSentError(
      certPath,
      `'set ssl cert' with this ${der.length}-byte response and path would be ${bytes} bytes, ` +
        `more than the ${MAX_COMMAND_BYTES} HAProxy's CLI reads; add an empty ${loaded}.ocsp ` +
        `and reload HAProxy to staple it`,
    );
  }
  // HAProxy reads <crt>.issuer only with a <crt>.ocsp it loads at startup:
  // a bundle without its issuer needs the issuer in the transaction too.
  const issuerPem = await options.issuer?.(loaded);
  const setIssuer = `set ssl cert ${escapeCliWord(`${loaded}.issuer`)}`;
  if (
    issuerPem !== undefined && commandBytes(`${setIssuer} <<\n${issuerPem}\n\n`) > MAX_COMMAND_BYTES
  ) {
    throw new StapleNotSentError(
      certPath,
      `'set ssl cert ${loaded}.issuer' with this issuer and path would be more than the ` +
        `${MAX_COMMAND_BYTES} bytes HAProxy's CLI reads; add an empty ${loaded}.ocsp and ` +
        `reload HAProxy to staple it`,
    );
  }

  // "Transaction created for certificate <crt>!", then "Transaction updated
  // for certificate <crt>!" for the next file; HAProxy 2.6 also answers
  // "Transaction updated for certificate <other>!" when a transaction for
  // another file is open, so each reply must name this file.
  if (issuerPem !== undefined) {
    const created = await send(setIssuer, issuerPem);
    if (created !== `Transaction created for certificate ${loaded}!`) {
      throw refused(certPath, created);
    }
    const updated = await send(setCert, base64);
    if (updated !== `Transaction updated for certificate ${loaded}!`) {
      await send(`abort ssl cert ${escapeCliWord(loaded)}`).catch(() => "");
      throw refused(certPath, updated);
    }
  } else {
    const created = await send(setCert, base64);
    if (created !== `Transaction created for certificate ${loaded}!`) {
      throw refused(certPath, created);
    }
  }
  // "Committing <crt>.\nSuccess!"; on failure (2.6, 3.0) "Committing <crt>.\n
  // '<crt>.ocsp' is present and activates OCSP but it is impossible to
  // compute the OCSP certificate ID (maybe the issuer could not be found)'.\nFailed!"
  const committed = await send(`commit ssl cert ${escapeCliWord(loaded)}`);
  if (!committed.split("\n").includes("Success!")) {
    await send(`abort ssl cert ${escapeCliWord(loaded)}`).catch(() => "");
    throw refused(certPath, committed);
  }
  // A commit takes any bytes as the .ocsp and checks nothing, but it gives the
  // certificate an OCSP slot: setting the response again now checks it.
  const confirmed = await send("set ssl ocsp-response", base64);
  if (confirmed !== OCSP_UPDATED) throw refused(certPath, confirmed);
  return "committed";
}

async function clearTransaction(
  send: SendCommand,
  certPath: string,
  loaded: string,
  open: string,
  options: PushStapleOptions,
): Promise<void> {
  if (open !== loaded || !options.abortOpenTransaction) {
    throw new StapleAdderBadResponse(
      certPath,
      `a 'set ssl cert' transaction is open for ${open}; stapled leaves it alone ` +
        `(commit or 'abort ssl cert ${open}' it)`,
    );
  }
  const aborted = await send(`abort ssl cert ${escapeCliWord(loaded)}`);
  if (!ABORTED_REGEXP.test(aborted)) throw refused(certPath, aborted);
}

/** The error for a refusal, quoting the start of a long reply (e.g. "Unknown command" help). */
function refused(certPath: string, reply: string): StapleAdderBadResponse {
  const lines = reply.split("\n");
  const quoted = lines.length > MAX_QUOTED_LINES
    ? [...lines.slice(0, MAX_QUOTED_LINES), "..."].join("\n")
    : reply;
  return new StapleAdderBadResponse(certPath, quoted);
}
