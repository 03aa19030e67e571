/**
 * stapled against a loop of `openssl ocsp`, in the same run, on the same
 * certificates and the same responder: OpenSSL's own (`openssl ocsp
 * -index index.txt -port PORT -rsigner ca.pem -rkey ca.key -CA ca.pem
 * -ndays 4`, the bench's issuing CA signing, an index holding every bench
 * leaf's serial as good). It serves one connection at a time and closes
 * each; it binds every interface (OpenSSL 3.0 takes no host), and only
 * 127.0.0.1 is used.
 *
 * - stapled: `--one-off -p DIR -t 16` from cold (no staple on disk, a fresh
 *   state directory) over 1,000 bundles (`--quick`: 500), the leaves'
 *   responder URL sent to OpenSSL's with `--ocsp-responder-override`.
 * - the loop: a shell `for` loop running, per certificate, `openssl ocsp
 *   -issuer ca.pem -cert LEAF -url URL -CAfile root.pem -respout X` (one
 *   process per certificate, as a cron job of it would), over the first
 *   200 of the same certificates (`--quick`: 50), its time scaled to the
 *   whole set.
 *
 * Reports both times and their ratio (issue 13: at least 20x).
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import { toPem } from "../../src/certs/pem.ts";
import { eachLine, runStapledToExit } from "./child.ts";
import type { BenchLeaf } from "./fixtures.ts";
import { atLeast, type Benchmark, type Row } from "./types.ts";

/** A running `openssl ocsp` responder. */
interface OpensslResponder {
  url: string;
  stop(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** `YYMMDDHHMMSSZ`, the time format of OpenSSL's index. */
function indexTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
}

/** One `V` (valid) line of OpenSSL's CA index per leaf. */
function indexLines(leaves: readonly BenchLeaf[]): string {
  // Every leaf is the same template resigned: one notAfter for all.
  const expiry = indexTime(new Date(new X509Certificate(leaves[0].der).validTo));
  return leaves.map((leaf) =>
    `V\t${expiry}\t\t${leaf.serialHex.toUpperCase()}\tunknown\t/CN=${leaf.name}\n`
  ).join("");
}

async function startOpensslResponder(
  dir: string,
  leaves: readonly BenchLeaf[],
): Promise<OpensslResponder> {
  await Deno.writeTextFile(`${dir}/index.txt`, indexLines(leaves));
  await Deno.writeTextFile(`${dir}/index.txt.attr`, "unique_subject = no\n");
  const port = freePort();
  const child = new Deno.Command("openssl", {
    args: [
      "ocsp",
      "-index",
      `${dir}/index.txt`,
      "-port",
      String(port),
      "-rsigner",
      `${dir}/ca.pem`,
      "-rkey",
      `${dir}/ca.key`,
      "-CA",
      `${dir}/ca.pem`,
      "-ndays",
      "4",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  let accepting: () => void = () => {};
  const ready = new Promise<void>((resolve) => (accepting = resolve));
  const reading = Promise.all([
    eachLine(child.stdout, (line) => {
      if (output.length < 20) output.push(line);
      // OpenSSL 3.0's responder hangs on a probe connection closed without a
      // request, so wait for its "ACCEPT" line rather than connecting.
      if (/^ACCEPT /.test(line)) accepting();
    }),
    eachLine(child.stderr, (line) => output.length < 20 && output.push(line)),
  ]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready"),
    child.status.then((s) => `exited with status ${s.code}`),
    new Promise<string>((r) => (timer = setTimeout(() => r("no ACCEPT line in 10 s"), 10_000))),
  ]);
  clearTimeout(timer);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await reading;
  };
  if (outcome !== "ready") {
    await stop();
    throw new Error(`Cannot start openssl ocsp: ${outcome}\n${output.join("\n")}`);
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}

/** The shell loop: one `openssl ocsp` request per leaf file, verified against the root. */
const LOOP_SCRIPT = `set -e
for leaf in "$1"/leaves/*.pem; do
  openssl ocsp -issuer "$1/ca.pem" -cert "$leaf" -url "$2" -CAfile "$1/root.pem" \\
    -respout "$leaf.der"
done`;

/** The `openssl ocsp` ratio benchmark. */
export const opensslBenchmark: Benchmark = {
  name: "openssl",
  title: "stapled against a loop of `openssl ocsp`, both on OpenSSL's responder",
  async run(ctx) {
    const count = ctx.quick ? 500 : 1_000;
    const sample = ctx.quick ? 50 : 200;
    const pki = await ctx.pki();
    const leaves = await ctx.leaves(count);
    const dir = await ctx.bundleDir(count);
    const work = await ctx.tempDir("openssl");
    await Deno.mkdir(`${work}/leaves`);
    await Deno.writeTextFile(`${work}/ca.pem`, pki.ca.pem);
    await Deno.writeTextFile(`${work}/ca.key`, await pki.ca.keyPem());
    await Deno.writeTextFile(`${work}/root.pem`, pki.root.pem);
    for (const leaf of leaves.slice(0, sample)) {
      await Deno.writeTextFile(`${work}/leaves/${leaf.name}.pem`, toPem("CERTIFICATE", leaf.der));
    }
    const home = await ctx.tempDir("home");
    await runStapledToExit(["--help"], { home }); // compiles the modules into Deno's cache
    const responder = await startOpensslResponder(work, leaves);
    try {
      // stapled, cold.
      await ctx.removeStaples(dir);
      const shared = new URL(ctx.responder().url).host;
      const served = ctx.responder().served;
      const run = await runStapledToExit([
        "--one-off",
        "-p",
        dir,
        "-t",
        "16",
        "--ocsp-responder-override",
        `${shared}=${responder.url}`,
      ], { home, stderr: "piped" });
      const staples = await ctx.countStaples(dir);
      const strayed = ctx.responder().served - served;
      if (run.code !== 0 || staples !== count || strayed !== 0) {
        throw new Error(
          `Cannot measure stapled on OpenSSL's responder: exit ${run.code}, ${staples} of ${count} ` +
            `staples, ${strayed} requests to the bench's own responder; its last log lines:\n${
              run.tail.join("\n")
            }`,
        );
      }
      ctx.progress(`stapled on OpenSSL's responder: ${(run.wallMs / 1000).toFixed(1)} s`);

      // The openssl loop.
      const started = performance.now();
      const loop = await new Deno.Command("sh", {
        args: ["-c", LOOP_SCRIPT, "sh", work, responder.url],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const loopMs = performance.now() - started;
      const out = new TextDecoder().decode(loop.stdout);
      const err = new TextDecoder().decode(loop.stderr);
      const good = out.split("\n").filter((l) => /\.pem: good$/.test(l)).length;
      const verified = err.split("\n").filter((l) => l === "Response verify OK").length;
      if (!loop.success || good !== sample || verified !== sample) {
        throw new Error(
          `Cannot measure the openssl ocsp loop: exit ${loop.code}, ${good} of ${sample} good, ` +
            `${verified} verified\n${err.split("\n").slice(-10).join("\n")}`,
        );
      }
      const loopS = loopMs / 1000 * count / sample;
      ctx.progress(`openssl ocsp loop: ${sample} in ${(loopMs / 1000).toFixed(1)} s`);
      const bench = "openssl";
      const n = count.toLocaleString("en-US");
      return [
        {
          bench,
          metric: `stapled --one-off -t 16, ${n} certs, cold, OpenSSL's responder`,
          value: run.wallMs / 1000,
          unit: "s",
          digits: 1,
        },
        {
          bench,
          metric: "  its CPU per certificate (user + system)",
          value: run.cpuSeconds * 1000 / count,
          unit: "ms",
          digits: 2,
        },
        {
          bench,
          metric: `openssl ocsp loop, ${n} certs (${sample} timed, x ${count / sample})`,
          value: loopS,
          unit: "s",
          digits: 1,
        },
        {
          bench,
          metric: "  openssl ocsp per certificate",
          value: loopMs / sample,
          unit: "ms",
          digits: 1,
        },
        {
          bench,
          metric: "stapled's speed over the loop's",
          value: loopS / (run.wallMs / 1000),
          unit: "x",
          digits: 1,
          target: atLeast(20),
        },
      ] satisfies Row[];
    } finally {
      await responder.stop();
    }
  },
};
