/**
 * One-off mode (`--one-off`, `--one-shot`): the engine run until every
 * certificate is settled (one scan, at most `-t` renewals in flight per
 * responder, nothing retried; a responder marked down is asked no more, its
 * certificates fail at once as "responder down"), one line printed per
 * certificate, and whether all of them hold a valid staple.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { describeError, StapledError } from "../errors/mod.ts";
import { ResponderDownError, ResponderFetchError } from "../ocsp/responders/mod.ts";
import {
  type CertOutcome,
  type CertSource,
  type DaemonSettings,
  Engine,
  type StapleSink,
} from "../daemon/mod.ts";
import { LineWriter } from "./_lines.ts";
import type { Clock } from "../scheduler/mod.ts";
import type { StapleStore } from "../staples/mod.ts";

const log = getLogger(["stapled", "one-off"]);

/** What happened to one certificate. */
export interface OneOffOutcome {
  /** The certificate file. */
  path: string;
  /** `stapled` (good staple on disk), `skipped` (no OCSP URL), `revoked`, `failed`. */
  status: "stapled" | "skipped" | "revoked" | "failed";
  /** The line printed for it. */
  line: string;
  /** Failed because every responder of the certificate was down (not asked). */
  down?: boolean;
}

/** Summary of a one-off run. */
export interface OneOffSummary {
  /** One entry per certificate, in the order they were found. */
  outcomes: OneOffOutcome[];
  /** 0 when every certificate with an OCSP URL holds a valid good staple, else 1. */
  exitCode: 0 | 1;
}

/** Options of {@linkcode runOneOff}. */
export interface RunOneOffOptions<Socket = unknown>
  extends Omit<DaemonSettings, "refreshInterval" | "watch" | "logdir"> {
  /** Where staples are pushed (the HAProxy sockets of each source). */
  sink?: StapleSink<Socket>;
  /** Where result lines go. @default standard output, batched */
  print?: (line: string) => void;
  /** Receives the certificates whose staple was written, once, at the end (--on-update). */
  onStaplesChanged?: (paths: string[]) => void;
  /** The clock. @default systemClock */
  clock?: Clock;
  /** Where staples are kept. @default the files beside the certificates */
  store?: StapleStore;
  /** The fetch implementation. */
  fetch?: typeof fetch;
}

/** The printed line and summary status of an engine outcome. */
function toOneOff(o: CertOutcome): OneOffOutcome {
  const { path, result } = o;
  if (o.status === "skipped") {
    return {
      path,
      status: "skipped",
      line: `${path}: skipped, the certificate names no OCSP responder`,
    };
  }
  if (result && o.status === "revoked") {
    const res = result.response;
    const reason = res.revocationReason ? `, reason ${res.revocationReason}` : "";
    const what = result.written.length === 0
      ? "empty staple written (--good-only)"
      : "revoked response stapled";
    const fetched = o.issuerFetch?.fetched ? ` (issuer fetched from ${o.issuerFetch.url})` : "";
    const line =
      `${path}: REVOKED since ${res.revocationTime?.toISOString()}${reason} (${what})${fetched}`;
    log.error("{message}", { cert: path, message: line.slice(path.length + 2) });
    return { path, status: "revoked", line };
  }
  if (result && o.status === "stapled") {
    const how = result.action !== "fetched"
      ? "existing staple reused"
      : `fetched from ${result.url}`;
    const fetched = o.issuerFetch?.fetched ? ` (issuer fetched from ${o.issuerFetch.url})` : "";
    const line =
      `${path}: good, valid until ${result.response.expiresAt.toISOString()} (${how})${fetched}`;
    return { path, status: "stapled", line };
  }
  const err = o.error;
  if (err instanceof ResponderDownError) {
    const cause = err.cause instanceof ResponderFetchError ? err.cause.reason : "failed repeatedly";
    const line =
      `${path}: FAILED: responder down (${err.responder}): ${cause}; not asked again in this run`;
    return { path, status: "failed", line, down: true };
  }
  const reason = err instanceof StapledError ? err.message : describeError(err, path);
  if (!(err instanceof StapledError)) {
    log.error("unexpected error: {stack}", { cert: path, stack: (err as Error)?.stack });
  }
  const text = reason.startsWith(`${path}: `) ? reason.slice(path.length + 2) : reason;
  return { path, status: "failed", line: `${path}: FAILED: ${text}` };
}

/**
 * Finds the certificates of every source and staples each once; new staples
 * are pushed to the sockets serving them. Push failures are logged but do
 * not change the exit code: the staples on disk are what HAProxy loads.
 *
 * @param sources Where the certificates are and who serves them.
 * @param options Stapling settings, sink, output.
 * @returns The outcomes and exit code.
 *
 * @example A directory without certificates: nothing to do, exit code 0
 * ```ts
 * import { runOneOff } from "./one_off.ts";
 * const dir = await Deno.makeTempDir();
 * const summary = await runOneOff([{ paths: [dir] }], { print: () => {} });
 * console.assert(summary.exitCode === 0 && summary.outcomes.length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runOneOff<Socket>(
  sources: CertSource<Socket>[],
  options: RunOneOffOptions<Socket> = {},
): Promise<OneOffSummary> {
  const lines = options.print ? undefined : new LineWriter();
  const print = options.print ?? ((line: string) => lines!.line(line));
  const engine = new Engine<Socket>({ ...options, sources, mode: "one-off", watch: false });
  const byPath = new Map<string, OneOffOutcome>();
  engine.on("outcome", (o) => {
    const outcome = toOneOff(o);
    byPath.set(o.path, outcome);
    print(outcome.line);
  });
  if (options.onStaplesChanged) engine.on("staplesChanged", options.onStaplesChanged);
  try {
    await engine.run();
  } finally {
    lines?.flush();
  }
  const outcomes = [...engine.certificates()].flatMap((p) => byPath.get(p) ?? []);
  const count = (s: OneOffOutcome["status"]) => outcomes.filter((o) => o.status === s).length;
  log.info(
    "{total} certificate(s): {stapled} stapled, {skipped} without OCSP URL, {revoked} revoked, {failed} failed, {down} responder down",
    {
      total: outcomes.length,
      stapled: count("stapled"),
      skipped: count("skipped"),
      revoked: count("revoked"),
      failed: outcomes.filter((o) => o.status === "failed" && !o.down).length,
      down: outcomes.filter((o) => o.down).length,
    },
  );
  const failed = outcomes.some((o) => o.status === "failed" || o.status === "revoked");
  return { outcomes, exitCode: failed ? 1 : 0 };
}
