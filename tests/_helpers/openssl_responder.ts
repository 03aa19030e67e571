/**
 * Starts OpenSSL's real OCSP responder (`openssl ocsp -index ... -port ...`)
 * for tests, with an index of good and revoked certificates, and stops it by
 * pid. OpenSSL 3.0 binds every interface; tests only ever connect to
 * 127.0.0.1.
 *
 * @module
 */
import type { Issued } from "../../scripts/lib/pki.ts";
import { freePort } from "./net.ts";

/** Reads `stream` until a line matches, then keeps draining it in the background. */
async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  timeoutMs: number,
): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const timer = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`openssl ocsp did not start (output: ${buffer.trim()})`);
      buffer += value;
      if (buffer.split("\n").some((l) => pattern.test(l))) break;
    }
  } finally {
    clearTimeout(timer);
  }
  (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* closed */ }
  })();
}

/** One line of OpenSSL's CA index. */
export interface IndexEntry {
  /** The certificate. */
  cert: Issued;
  /** Its status. @default "good" */
  status?: "good" | "revoked";
  /** When revoked. @default one day ago */
  revokedAt?: Date;
  /** CRL reason name, e.g. `keyCompromise`. */
  reason?: string;
}

/** A running OpenSSL responder. */
export interface OpensslResponder {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Its port. */
  port: number;
  /** Starts it (the port is chosen first, so certificates can name it). */
  start(): Promise<void>;
  /** Stops it (SIGTERM by pid) and waits for it to exit. */
  stop(): Promise<void>;
  /** Rewrites the index (OpenSSL rereads it when it changes). */
  writeIndex(entries: IndexEntry[]): Promise<void>;
}

function opensslTime(d: Date): string {
  const iso = d.toISOString(); // 2026-11-27T10:00:00.000Z
  return iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) +
    iso.slice(14, 16) +
    iso.slice(17, 19) + "Z";
}

function indexSerial(cert: Issued): string {
  let hex = cert.serial.toUpperCase().replace(/^(00)+(?=..)/, "");
  if (hex.length % 2) hex = "0" + hex;
  return hex;
}

/**
 * Prepares an OpenSSL responder in `dir` for the CA `ca`, signing with
 * `signer` (the CA itself or a delegated responder).
 *
 * @param dir A temp directory for its files.
 * @param ca The issuing CA.
 * @param options Signer, validity of its responses.
 * @returns The responder, not yet started.
 */
export function opensslResponder(
  dir: string,
  ca: Issued,
  options: { signer?: Issued; validityMinutes?: number } = {},
): OpensslResponder {
  const port = freePort();
  const signer = options.signer ?? ca;
  let child: Deno.ChildProcess | undefined;
  const index = `${dir}/index.txt`;
  const writeIndex = async (entries: IndexEntry[]) => {
    const lines = entries.map((e) => {
      const exp = opensslTime(e.cert.cert.notAfter);
      const subject = "/" + e.cert.cert.subject.split(", ").join("/");
      if (e.status === "revoked") {
        const when = opensslTime(e.revokedAt ?? new Date(Date.now() - 86_400_000));
        return `R\t${exp}\t${when}${e.reason ? "," + e.reason : ""}\t${
          indexSerial(e.cert)
        }\tunknown\t${subject}`;
      }
      return `V\t${exp}\t\t${indexSerial(e.cert)}\tunknown\t${subject}`;
    });
    // Several certificates may share a subject (a renewed certificate).
    await Deno.writeTextFile(`${index}.attr`, "unique_subject = no\n");
    await Deno.writeTextFile(index, lines.map((l) => l + "\n").join(""));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    writeIndex,
    async start() {
      await Deno.writeTextFile(`${dir}/ocsp-ca.pem`, ca.pem);
      await Deno.writeTextFile(`${dir}/ocsp-signer.pem`, signer.pem);
      await Deno.writeTextFile(`${dir}/ocsp-signer.key`, await signer.keyPem());
      try {
        await Deno.stat(index);
      } catch {
        await writeIndex([]);
      }
      child = new Deno.Command("openssl", {
        args: [
          "ocsp",
          "-index",
          index,
          "-port",
          String(port),
          "-CA",
          `${dir}/ocsp-ca.pem`,
          "-rsigner",
          `${dir}/ocsp-signer.pem`,
          "-rkey",
          `${dir}/ocsp-signer.key`,
          "-nmin",
          String(options.validityMinutes ?? 24 * 60),
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Not a probe connection: OpenSSL 3.0's responder hangs on a connection
      // closed without a request. Wait for its "ACCEPT" line instead.
      await waitForLine(child.stdout, /^ACCEPT /, 10_000);
      child.stderr.pipeTo(new WritableStream()).catch(() => {});
    },
    async stop() {
      if (!child) return;
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      child = undefined;
    },
  };
}

/**
 * Runs `openssl ocsp -respin` to check a staple as an independent verifier.
 *
 * @param staple The staple file (DER).
 * @param issuer PEM file of the issuer.
 * @param cert PEM file of the certificate.
 * @param trust PEM file of the trust anchor(s).
 * @param extraArgs More `openssl ocsp` arguments (`-verify_other`, `-attime`).
 * @returns OpenSSL's output and whether it said the response verified.
 */
export async function opensslVerifyStaple(
  staple: string,
  issuer: string,
  cert: string,
  trust: string,
  extraArgs: string[] = [],
): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command("openssl", {
    args: [
      "ocsp",
      "-respin",
      staple,
      "-issuer",
      issuer,
      "-cert",
      cert,
      "-CAfile",
      trust,
      "-no-CApath",
      "-no-CAstore",
      ...extraArgs,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { ok: out.success && output.includes("Response verify OK"), output };
}
