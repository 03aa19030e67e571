/**
 * The issuer a bootstrap transaction hands HAProxy. HAProxy reads
 * `<crt>.issuer` only after it loaded a `<crt>.ocsp` at startup, so for a
 * certificate that had no `.ocsp` then and whose bundle holds no issuer, a
 * `set ssl cert <crt>.ocsp` commit fails ("... impossible to compute the
 * OCSP certificate ID") unless the same transaction first sets
 * `<crt>.issuer` (checked on HAProxy 2.6.12 and 3.0.11).
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import { certificatesIn, toPem } from "../../certs/mod.ts";

/** Where the issuer of a certificate whose bundle lacks it comes from. */
export interface StapleIssuerOptions {
  /**
   * The issuing CA's certificate as PEM (e.g. the issuer the renewer used,
   * when it came from an `.issuer` file). Takes precedence over `issuerFile`.
   */
  issuerPem?: string;
  /**
   * The file holding the issuing CA's certificate (HAProxy's `<base>.issuer`).
   * @default `<crt>.issuer`, else `<crt minus .crt>.issuer` (`ssl-load-extra-del-ext`)
   */
  issuerFile?: string;
  /**
   * HAProxy's name for the certificate when it is not a path HAProxy lists
   * for the file: a crt-store certificate's `@<store>/<name>` (HAProxy 3.0+;
   * `HaproxyCertEntry.haproxyPath`). Used as is in the transaction.
   * @default the file `show ssl cert` lists that is the certificate (same or real path)
   */
  runtimeName?: string;
}

/**
 * The issuer to send with `set ssl cert <crt>.issuer` when HAProxy cannot
 * find it in the bundle: a certificate from `options` (or the `.issuer`
 * files beside the certificate) that issued the bundle's leaf, as PEM.
 * Nothing when the bundle's chain holds the issuer (HAProxy takes it from
 * there) or no issuer is found; then the transaction goes as before.
 *
 * @param certPath The certificate file as stapled knows it.
 * @param loaded HAProxy's name for it.
 * @param options The issuer the caller knows, if any.
 * @param readFile Reads a file.
 * @returns The issuer's PEM (one certificate), or `undefined`.
 *
 * @example Nothing to send for files that are not there
 * ```ts
 * import assert from "node:assert/strict";
 * import { issuerToSend } from "./_issuer.ts";
 * const pem = await issuerToSend("/nonexistent/a.pem", "/nonexistent/a.pem", {}, Deno.readFile);
 * assert.ok(pem === undefined);
 * ```
 */
export async function issuerToSend(
  certPath: string,
  loaded: string,
  options: StapleIssuerOptions,
  readFile: (path: string) => Promise<Uint8Array>,
): Promise<string | undefined> {
  const bundle = await certsOf(certPath, () => readFile(certPath));
  const leaf = bundle?.[0];
  if (leaf && bundle.slice(1).some((cert) => leaf.checkIssued(cert))) return undefined;
  const sources: Array<[string, () => Promise<Uint8Array>]> = options.issuerPem !== undefined
    ? [["issuerPem", () => Promise.resolve(new TextEncoder().encode(options.issuerPem))]]
    : (options.issuerFile !== undefined
      ? [options.issuerFile]
      : defaultIssuerFiles(certPath, loaded))
      .map((path) => [path, () => readFile(path)]);
  for (const [name, read] of sources) {
    const certs = await certsOf(name, read) ?? [];
    const issuer = leaf ? certs.find((cert) => leaf.checkIssued(cert)) : certs[0];
    if (issuer) return toPem("CERTIFICATE", new Uint8Array(issuer.raw)).trimEnd();
  }
  return undefined;
}

/** HAProxy's `.issuer` names for the file: `<crt>.issuer`, and `<base>.issuer` for a `.crt`. */
function defaultIssuerFiles(certPath: string, loaded: string): string[] {
  const paths = new Set<string>();
  for (const path of [certPath, loaded]) {
    if (!path.startsWith("/")) continue; // relative to HAProxy's directory, not ours
    paths.add(`${path}.issuer`);
    if (path.endsWith(".crt")) paths.add(`${path.slice(0, -".crt".length)}.issuer`);
  }
  return [...paths];
}

/** The certificates in a file, or `undefined` if it cannot be read or parsed. */
async function certsOf(
  name: string,
  read: () => Promise<Uint8Array>,
): Promise<X509Certificate[] | undefined> {
  try {
    return certificatesIn(name, await read()).map((der) => new X509Certificate(der));
  } catch {
    return undefined;
  }
}
