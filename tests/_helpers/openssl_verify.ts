/**
 * Checks OCSP responses with OpenSSL as an independent verifier
 * (`openssl ocsp -respin ... -verify_other ...`), so the suite cannot drift
 * from what real clients accept: every response a test responder builds and
 * every staple stapled writes can be handed to {@linkcode assertOpensslAccepts}.
 *
 * @module
 */
import type { Issued } from "../../scripts/lib/pki.ts";
import { opensslVerifyStaple } from "./openssl_responder.ts";

/** The certificates a response is checked against. */
export interface OpensslChain {
  /** The certificate the response is about. */
  leaf: Issued;
  /** Its issuing CA (also offered as an untrusted chain certificate). */
  issuer: Issued;
  /** The trust anchor above the issuer. @default the issuer itself is trusted */
  root?: Issued;
}

/** Options of {@linkcode assertOpensslAccepts} and {@linkcode opensslChecks}. */
export interface OpensslVerifyOptions {
  /**
   * Verify certificates at this time (`-attime`). OpenSSL still checks the
   * response's thisUpdate/nextUpdate against the real clock, so with `at` a
   * "Status times invalid" warning is ignored.
   * @default now
   */
  at?: Date;
  /** The status the leaf must have. @default "good" or "revoked" */
  status?: "good" | "revoked" | "unknown";
}

/** What OpenSSL said about a response. */
export interface OpensslVerdict {
  /** Whether it printed "Response verify OK" and a status line for the leaf. */
  ok: boolean;
  /** The status it printed for the leaf, if any. */
  status?: string;
  /** Its whole output (stdout and stderr). */
  output: string;
}

/**
 * Runs `openssl ocsp -respin` on `der` and reports what OpenSSL said.
 *
 * @param der The DER OCSP response.
 * @param chain The leaf, its issuer and optionally the root.
 * @param options Verification time, expected status.
 * @returns OpenSSL's verdict.
 */
export async function opensslChecks(
  der: Uint8Array,
  chain: OpensslChain,
  options: OpensslVerifyOptions = {},
): Promise<OpensslVerdict> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-openssl-verify-" });
  try {
    const file = (name: string) => `${dir}/${name}`;
    await Deno.writeFile(file("response.der"), der);
    await Deno.writeTextFile(file("leaf.pem"), chain.leaf.pem);
    await Deno.writeTextFile(file("issuer.pem"), chain.issuer.pem);
    await Deno.writeTextFile(file("trust.pem"), (chain.root ?? chain.issuer).pem);
    const extra = ["-verify_other", file("issuer.pem")];
    if (!chain.root) extra.push("-partial_chain");
    if (options.at) extra.push("-attime", String(Math.floor(options.at.getTime() / 1000)));
    const { output } = await opensslVerifyStaple(
      file("response.der"),
      file("issuer.pem"),
      file("leaf.pem"),
      file("trust.pem"),
      extra,
    );
    // OpenSSL may print "WARNING: Status times invalid." between the file name and the status.
    const status = output.match(/leaf\.pem: (?:[^\n]*\n)*?\s*(good|revoked|unknown)\b/)?.[1];
    const wanted = options.status ? [options.status] : ["good", "revoked"];
    const timesOk = options.at !== undefined || !output.includes("Status times invalid");
    const ok = output.includes("Response verify OK") && status !== undefined &&
      wanted.includes(status) && timesOk;
    return { ok, status, output };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Throws unless `openssl ocsp` verifies `der` for `chain.leaf`: "Response
 * verify OK", the leaf's status line (good or revoked unless
 * `options.status` says which), and no "Status times invalid" warning.
 *
 * @param der The DER OCSP response (or a staple file's bytes).
 * @param chain The leaf, its issuer and optionally the root (else the issuer is the trust anchor).
 * @param options Verification time (`-attime`), expected status.
 * @throws {Error} With OpenSSL's output when it does not accept the response.
 *
 * @example Check a response built by the test responder
 * ```ts ignore
 * const der = await buildOcspResponse({ signer: ca, singles: [{ certId }] });
 * await assertOpensslAccepts(der, { leaf, issuer: ca, root });
 * ```
 */
export async function assertOpensslAccepts(
  der: Uint8Array,
  chain: OpensslChain,
  options: OpensslVerifyOptions = {},
): Promise<void> {
  const verdict = await opensslChecks(der, chain, options);
  if (!verdict.ok) {
    throw new Error(
      `Cannot verify the OCSP response with openssl ocsp (status ${
        verdict.status ?? "none"
      }, wanted ${options.status ?? "good or revoked"}): ${verdict.output.trim()}`,
    );
  }
}

/**
 * Throws unless `openssl ocsp` refuses `der` (no "Response verify OK").
 *
 * @param der The DER OCSP response.
 * @param chain The leaf, its issuer and optionally the root.
 * @param options Verification time.
 * @returns OpenSSL's output, for matching its reason.
 * @throws {Error} With OpenSSL's output when it verifies the response.
 */
export async function assertOpensslRejects(
  der: Uint8Array,
  chain: OpensslChain,
  options: OpensslVerifyOptions = {},
): Promise<string> {
  const verdict = await opensslChecks(der, chain, options);
  if (verdict.output.includes("Response verify OK")) {
    throw new Error(`openssl ocsp verified a response it should refuse: ${verdict.output.trim()}`);
  }
  return verdict.output;
}
