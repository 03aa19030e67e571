/**
 * Reads a certificate bundle as HAProxy uses it: a PEM file holding a leaf,
 * its chain and maybe its private key in any order, or a DER certificate;
 * finds the leaf and its issuer (in the bundle or in `<file>.issuer`), and
 * checks that the issuer signed the leaf and that the leaf has not expired.
 *
 * @module
 */
import {
  CertFileAccessError,
  CertIssuerMissingError,
  CertParsingError,
  CertValidationError,
} from "../errors/mod.ts";
import { bytesEqual, CertCache, certDigest, ParsedCert } from "./parsed_cert.ts";
import { LeafCert, type LeafFacts, subjectText } from "./leaf_cert.ts";
import { splitPem } from "./pem.ts";

/** What stapled keeps about a leaf certificate: small on purpose. */
export interface LeafInfo {
  /** Serial number content bytes. */
  serial: Uint8Array;
  /** Serial as hex, for messages. */
  serialHex: string;
  /** Subject as text, for messages. */
  subject: string;
  /** End of validity. */
  notAfter: Date;
  /** Subject, SANs and Must-Staple as status shows them, when read cheaply with the leaf. */
  facts?: LeafFacts;
}

/** A bundle that can be stapled: a leaf with OCSP URLs and its issuer. */
export interface CertBundle {
  /** The certificate file. */
  path: string;
  /** The leaf certificate. */
  leaf: LeafInfo;
  /** OCSP responder URLs from the leaf, in order (never empty here). */
  ocspUrls: readonly string[];
  /** The issuing CA, shared with other bundles of the same CA. */
  issuer: ParsedCert;
  /** Where the issuer came from. */
  issuerSource: "bundle" | "issuer-file";
}

/** A bundle whose leaf names no OCSP responder: skipped, not an error. */
export interface NoOcspBundle {
  /** The certificate file. */
  path: string;
  /** The leaf certificate. */
  leaf: LeafInfo;
  /** Always empty. */
  ocspUrls: readonly [];
}

/** Options of {@linkcode readBundle}. */
export interface ReadBundleOptions {
  /** Shared cache of parsed issuer certificates. */
  cache?: CertCache;
  /** The current time, for the expiry check. @default new Date() */
  now?: Date;
  /** Reads a file. @default Deno.readFile */
  readFile?: (path: string) => Promise<Uint8Array>;
  /**
   * The file the issuer is read from when the bundle lacks it (HAProxy's
   * `<base>.issuer`), or `null` when no issuer file may be used (HAProxy
   * would not read one: `ssl-load-extra-files` without `issuer`).
   * @default `${path}.issuer`
   */
  issuerFile?: string | null;
  /** With `issuerFile: null`: why, and what to do; it ends the "issuer missing" error. */
  issuerHint?: string;
  /**
   * The digest ({@linkcode certDigest}) of the issuer whose signature on this
   * file's leaf verified before, when the file is unchanged since: that
   * candidate's signature is not checked again (any other one's is).
   */
  verifiedIssuer?: string;
}

/**
 * How the reason of a {@linkcode CertIssuerMissingError} starts (callers branch
 * on its kind, `CertIssuerMissing`, not on this text).
 */
export const ISSUER_MISSING = "issuer missing";

const CERT_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE"]);
const defaultCache = new CertCache();

/**
 * Extracts the DER certificates from file contents (PEM or DER).
 *
 * @param path The file, for messages.
 * @param bytes Its contents.
 * @returns The certificates' DER bytes in file order.
 * @throws {CertParsingError} For no certificate or corrupt PEM.
 */
export function certificatesIn(path: string, bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) throw new CertParsingError(path, "file is empty, no certificate found");
  // PEM armor is ASCII: one latin1 decoding serves both the test and the split.
  const text = new TextDecoder("latin1").decode(bytes);
  if (!text.includes("-----BEGIN ")) {
    // DER starts with a SEQUENCE tag; anything else is neither PEM nor DER.
    if (bytes[0] !== 0x30) {
      throw new CertParsingError(
        path,
        "no certificate found: neither PEM (no BEGIN CERTIFICATE line) nor DER",
      );
    }
    return [bytes];
  }
  const certs: Uint8Array[] = [];
  for (const block of splitPem(text)) {
    if (!CERT_LABELS.has(block.label)) continue;
    if (!block.der) {
      throw new CertParsingError(
        path,
        `corrupt PEM: ${block.label} block at line ${block.line} is not valid base64`,
      );
    }
    certs.push(block.der);
  }
  if (certs.length === 0) {
    throw new CertParsingError(path, "no certificate found (no CERTIFICATE PEM block)");
  }
  return certs;
}

/** A certificate of a bundle: a cached issuer, or one read the cheap way. */
type BundleCert = ParsedCert | LeafCert;

function parseAll(path: string, ders: Uint8Array[], cache: CertCache, what: string): BundleCert[] {
  return ders.map((der, i) => {
    try {
      // Known issuers come from the cache; the others are read cheaply, and
      // parsed in full only when the cheap reading does not apply (which
      // also gives the reason a corrupt certificate is refused).
      return cache.lookup(der) ?? LeafCert.tryParse(der) ?? ParsedCert.parse(der);
    } catch (err) {
      const which = ders.length > 1 ? `${what} ${i + 1}` : what;
      throw new CertParsingError(
        path,
        `corrupt ${which}: not a valid X.509 certificate (${(err as Error).message})`,
      );
    }
  });
}

/** The full parse of an issuer candidate (shared through the cache once it signed a leaf). */
function asIssuer(path: string, cert: BundleCert, cache: CertCache): ParsedCert {
  if (cert instanceof ParsedCert) return cert;
  try {
    return cache.parse(cert.der);
  } catch (err) {
    throw new CertParsingError(
      path,
      `corrupt issuer certificate "${cert.subject}": not a valid X.509 certificate (${
        (err as Error).message
      })`,
    );
  }
}

/**
 * Picks the leaf: the certificate that issues none of the others, preferring
 * non-CA certificates.
 */
function findLeaf(path: string, certs: BundleCert[]): BundleCert {
  if (certs.length === 1) return certs[0];
  const issuesAnother = (c: BundleCert) =>
    certs.some((o) =>
      o !== c && !bytesEqual(o.subjectDer, o.issuerDer) && bytesEqual(o.issuerDer, c.subjectDer)
    );
  const candidates = certs.filter((c) => !issuesAnother(c));
  const nonCa = candidates.filter((c) => !c.isCA);
  const leaves = nonCa.length > 0 ? nonCa : candidates;
  if (leaves.length === 1) return leaves[0];
  if (leaves.length === 0) {
    throw new CertParsingError(path, "no leaf certificate: every certificate issues another");
  }
  throw new CertParsingError(
    path,
    `several leaf certificates (${
      leaves.map((l) => `"${l.subject}"`).join(", ")
    }); put one per file`,
  );
}

function leafInfo(leaf: BundleCert): LeafInfo {
  const info = {
    serial: leaf.serial,
    serialHex: leaf.serialHex,
    notAfter: leaf.notAfter,
    ...(leaf instanceof LeafCert ? { facts: leaf.facts } : {}),
  };
  if (!(leaf instanceof LeafCert)) return { ...info, subject: leaf.subject };
  // The subject is for messages: parsed only when one is written (from its
  // DER alone, so the bundle does not keep the whole leaf).
  const subjectDer = leaf.subjectDer;
  let subject: string | undefined;
  return Object.defineProperty(info, "subject", {
    get: () => subject ??= subjectText(subjectDer),
    enumerable: true,
  }) as LeafInfo;
}

async function readIssuerFile(
  issuerPath: string,
  read: (p: string) => Promise<Uint8Array>,
  cache: CertCache,
): Promise<BundleCert[] | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await read(issuerPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new CertFileAccessError(issuerPath, `cannot read issuer file: ${(err as Error).message}`);
  }
  return parseAll(issuerPath, certificatesIn(issuerPath, bytes), cache, "issuer certificate");
}

/**
 * Parses a certificate bundle from its bytes.
 *
 * @param path The certificate file (used for messages and to find `<path>.issuer`).
 * @param bytes The file's contents.
 * @param options Cache, clock, file reader and issuer file.
 * @returns The bundle, or a {@linkcode NoOcspBundle} when the leaf names no OCSP responder.
 * @throws {CertParsingError} No certificate, corrupt PEM/DER, several leaves.
 * @throws {CertIssuerMissingError} The issuer is neither in the bundle nor in a usable issuer file.
 * @throws {CertValidationError} The issuer did not sign the leaf, or the leaf expired.
 * @throws {CertFileAccessError} The issuer file exists but cannot be read.
 *
 * @example A leaf and its issuing CA in one PEM file
 * ```ts
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * const root = await TestCa.root("Example Root");
 * const ca = await root.intermediate("Example CA");
 * const leaf = await ca.leaf("www.example.test", { ocspUrls: ["http://ocsp.example.test/"] });
 * const bundle = await parseBundle("/etc/ssl/www.pem", new TextEncoder().encode(leaf.pem + ca.pem));
 * console.assert(hasOcsp(bundle) && bundle.issuerSource === "bundle");
 * console.assert(bundle.ocspUrls[0] === "http://ocsp.example.test/");
 * ```
 */
export async function parseBundle(
  path: string,
  bytes: Uint8Array,
  options: ReadBundleOptions = {},
): Promise<CertBundle | NoOcspBundle> {
  const { cache = defaultCache, now = new Date(), readFile = Deno.readFile } = options;
  const issuerPath = options.issuerFile === undefined ? `${path}.issuer` : options.issuerFile;
  const certs = parseAll(path, certificatesIn(path, bytes), cache, "certificate");
  const leaf = findLeaf(path, certs);
  const info = leafInfo(leaf);
  if (leaf.ocspUrls.length === 0) return { path, leaf: info, ocspUrls: [] };
  if (now > leaf.notAfter) {
    throw new CertValidationError(
      path,
      `certificate "${leaf.subject}" expired on ${leaf.notAfter.toISOString()}`,
    );
  }

  const named = (list: BundleCert[]) =>
    list.filter((c) => c !== leaf && bytesEqual(c.subjectDer, leaf.issuerDer));
  let source: CertBundle["issuerSource"] = "bundle";
  let candidates = named(certs);
  if (candidates.length === 0) {
    if (issuerPath === null) {
      throw new CertIssuerMissingError(
        path,
        `${ISSUER_MISSING}: the issuing CA of "${leaf.subject}" is not in the bundle${
          options.issuerHint ? `; ${options.issuerHint}` : ""
        }`,
      );
    }
    const fromFile = await readIssuerFile(issuerPath, readFile, cache);
    if (!fromFile) {
      throw new CertIssuerMissingError(
        path,
        `${ISSUER_MISSING}: the issuing CA of "${leaf.subject}" is neither in the bundle nor in ${issuerPath}`,
      );
    }
    candidates = named(fromFile);
    source = "issuer-file";
    if (candidates.length === 0) {
      throw new CertValidationError(
        path,
        `${issuerPath} holds "${
          fromFile.map((c) => c.subject).join(", ")
        }", not the issuer of "${leaf.subject}"`,
      );
    }
  }
  for (const found of candidates) {
    const candidate = asIssuer(path, found, cache);
    const known = options.verifiedIssuer !== undefined &&
      certDigest(candidate) === options.verifiedIssuer;
    if (known || await leaf.isIssuedBy(candidate)) {
      // Only the issuer is kept in the cache; the leaf is dropped after this.
      return {
        path,
        leaf: info,
        ocspUrls: [...leaf.ocspUrls],
        issuer: cache.keep(candidate),
        issuerSource: source,
      };
    }
  }
  throw new CertValidationError(
    path,
    `the issuer "${candidates[0].subject}" (from the ${
      source === "bundle" ? "bundle" : ".issuer file"
    }) did not sign "${leaf.subject}": its signature does not verify`,
  );
}

/**
 * Reads and parses a certificate bundle file.
 *
 * @param path The certificate file.
 * @param options Cache, clock and file reader.
 * @returns The bundle, or a {@linkcode NoOcspBundle}.
 * @throws {CertFileAccessError} When the file cannot be read.
 * @throws {CertParsingError | CertValidationError} As {@linkcode parseBundle}.
 *
 * @example Read a bundle whose issuer is in `<file>.issuer`
 * ```ts
 * import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
 * const root = await TestCa.root("Example Root");
 * const ca = await root.intermediate("Example CA");
 * const leaf = await ca.leaf("www.example.test", { ocspUrls: ["http://ocsp.example.test/"] });
 * const dir = await Deno.makeTempDir();
 * await writeBundle(`${dir}/www.pem`, leaf, []);
 * await Deno.writeTextFile(`${dir}/www.pem.issuer`, ca.pem);
 * const bundle = await readBundle(`${dir}/www.pem`);
 * console.assert(hasOcsp(bundle) && bundle.issuerSource === "issuer-file");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readBundle(
  path: string,
  options: ReadBundleOptions = {},
): Promise<CertBundle | NoOcspBundle> {
  const readFile = options.readFile ?? Deno.readFile;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new CertFileAccessError(path, `cannot read certificate file: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return await parseBundle(path, bytes, options);
}

/**
 * Whether a parsed bundle can be stapled (its leaf names an OCSP responder).
 *
 * @param bundle The result of {@linkcode parseBundle}.
 * @returns True for a {@linkcode CertBundle}.
 *
 * @example Skip certificates without an OCSP URL
 * ```ts
 * import { TestCa } from "../../scripts/lib/pki.ts";
 * const root = await TestCa.root("Example Root");
 * const leaf = await root.leaf("lab.example.test");
 * const bundle = await parseBundle("lab.pem", new TextEncoder().encode(leaf.pem + root.pem));
 * console.assert(!hasOcsp(bundle));
 * ```
 */
export function hasOcsp(bundle: CertBundle | NoOcspBundle): bundle is CertBundle {
  return bundle.ocspUrls.length > 0;
}
