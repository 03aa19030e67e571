/**
 * A tiny PKI made with the openssl CLI for tests that need real files: a CA,
 * leaf bundles HAProxy can load (leaf + CA + key in one PEM), and signed OCSP
 * responses from `openssl ocsp -index` (no responder process). EC P-256 keys
 * keep it fast. For in-process certificates use the fuller PKI builder.
 *
 * @example
 * ```ts
 * const ca = await makeCa(dir);
 * const leaf = await makeLeaf(ca, "a.test");
 * const { der } = await makeOcspResponse(ca, leaf, { days: 1 });
 * ```
 *
 * @module
 */

/** A CA made by {@link makeCa}. */
export interface TestCa {
  /** Where its files live. */
  dir: string;
  /** The CA certificate (PEM). */
  certPath: string;
  /** The CA key (PEM). */
  keyPath: string;
  /** The `openssl ca`-style index the OCSP responses are made from. */
  indexPath: string;
}

/** A leaf made by {@link makeLeaf}. */
export interface TestLeaf {
  /** The DNS name (CN and SAN). */
  name: string;
  /** The leaf certificate alone (PEM). */
  certPath: string;
  /** leaf + CA + key: what HAProxy's `crt` loads. */
  bundlePath: string;
}

/** Options of {@link makeOcspResponse}. */
export interface MakeOcspResponseOptions {
  /**
   * Days until Next Update (a different value gives a distinguishable response).
   * @default 1
   */
  days?: number;
}

/** An OCSP response made by {@link makeOcspResponse}. */
export interface TestOcspResponse {
  /** The DER response. */
  der: Uint8Array;
  /** Its This Update, as openssl prints it. */
  thisUpdate: string;
  /** Its Next Update, as openssl prints it. */
  nextUpdate: string;
}

/**
 * Makes a self-signed CA in `dir`.
 *
 * @param dir A temp dir owned by the test.
 * @returns The CA.
 */
export async function makeCa(dir: string): Promise<TestCa> {
  const ca: TestCa = {
    dir,
    certPath: `${dir}/ca.pem`,
    keyPath: `${dir}/ca.key`,
    indexPath: `${dir}/index.txt`,
  };
  await openssl(
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ["-keyout", ca.keyPath, "-out", ca.certPath, "-days", "30", "-subj", "/CN=Test CA"],
  );
  await Deno.writeTextFile(ca.indexPath, "");
  return ca;
}

/**
 * Makes a leaf signed by `ca` and its bundle `<dir>/<name>.pem`, and lists it
 * as valid in the CA's index.
 *
 * @param ca The issuer.
 * @param name The DNS name; also the file name.
 * @param dir Where the files go.
 * @returns The leaf.
 */
export async function makeLeaf(ca: TestCa, name: string, dir = ca.dir): Promise<TestLeaf> {
  const base = `${dir}/${name}`;
  const leaf: TestLeaf = { name, certPath: `${base}.crt`, bundlePath: `${base}.pem` };
  const serial = `0x${crypto.getRandomValues(new Uint8Array(8)).reduce(hex, "7f")}`;
  await Deno.writeTextFile(`${base}.ext`, `subjectAltName=DNS:${name}\n`);
  await openssl(
    ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ["-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${name}`],
  );
  await openssl(
    ["x509", "-req", "-in", `${base}.csr`, "-CA", ca.certPath, "-CAkey", ca.keyPath],
    ["-set_serial", serial, "-days", "10", "-extfile", `${base}.ext`, "-out", leaf.certPath],
  );
  const [cert, caCert, key] = await Promise.all(
    [leaf.certPath, ca.certPath, `${base}.key`].map((path) => Deno.readTextFile(path)),
  );
  await Deno.writeTextFile(leaf.bundlePath, cert + caCert + key);
  const hexSerial = serial.slice(2).toUpperCase();
  await Deno.writeTextFile(
    ca.indexPath,
    `V\t491231235959Z\t\t${hexSerial}\tunknown\t/CN=${name}\n`,
    {
      append: true,
    },
  );
  return leaf;
}

/**
 * Makes a signed `good` OCSP response for `leaf` (SHA-1 CertID, no nonce).
 *
 * @param ca The issuer, also the responder.
 * @param leaf The certificate.
 * @param options Validity.
 * @returns The DER and its times.
 */
export async function makeOcspResponse(
  ca: TestCa,
  leaf: TestLeaf,
  options: MakeOcspResponseOptions = {},
): Promise<TestOcspResponse> {
  const { days = 1 } = options;
  const out = `${leaf.certPath}.${crypto.randomUUID()}.ocsp.der`;
  await openssl(
    ["ocsp", "-index", ca.indexPath, "-rsigner", ca.certPath, "-rkey", ca.keyPath],
    ["-CA", ca.certPath, "-issuer", ca.certPath, "-cert", leaf.certPath, "-no_nonce"],
    ["-respout", out, "-ndays", String(days)],
  );
  const text = await openssl(["ocsp", "-respin", out, "-resp_text", "-noverify"]);
  const field = (name: string) => new RegExp(`^\\s*${name}: (.*)$`, "m").exec(text)?.[1].trim();
  return {
    der: await Deno.readFile(out),
    thisUpdate: field("This Update") ?? "",
    nextUpdate: field("Next Update") ?? "",
  };
}

async function openssl(...args: string[][]): Promise<string> {
  const output = await new Deno.Command("openssl", {
    args: args.flat(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`openssl ${args.flat().join(" ")} failed: ${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout);
}

function hex(text: string, byte: number): string {
  return text + byte.toString(16).padStart(2, "0");
}
