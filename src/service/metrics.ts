/**
 * Prometheus metrics (text exposition format 0.0.4) from a
 * {@linkcode HealthSnapshot} and the {@linkcode HealthCounters}, and the HTTP
 * server behind `--metrics-listen` (loopback unless another address is
 * given) serving `/metrics` and `/healthz`.
 *
 * Names follow Prometheus conventions (base units, `_total` counters,
 * `_timestamp_seconds` for times) and what users of ssl_exporter and
 * x509-certificate-exporter know. Per certificate there is at most one
 * series per metric (labelled by `path`); responders and sockets are few.
 *
 * @module
 */
import type { HealthCounters, HealthSnapshot } from "../daemon/health.ts";
import { ConfigError } from "../errors/mod.ts";

/** Where `--metrics-listen` listens when given only a port. */
export const DEFAULT_METRICS_HOST = "127.0.0.1";

/** The content type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Escapes a label value: backslash, double quote and line feed.
 *
 * @param value The raw value.
 * @returns The escaped value.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "./metrics.ts";
 * console.assert(escapeLabelValue('a"b\\c\nd') === 'a\\"b\\\\c\\nd');
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  const entries = Object.entries(pairs);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

function num(n: number): string {
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  if (Number.isNaN(n)) return "NaN";
  return String(n);
}

/** Options of {@linkcode renderMetrics}. */
export interface RenderMetricsOptions {
  /** stapled's version, for `stapled_build_info`. */
  version: string;
}

/**
 * Renders the metrics.
 *
 * @param snapshot The health now.
 * @param counters The counters since start.
 * @param options The version.
 * @returns The text exposition, ending in a newline.
 *
 * @example
 * ```ts
 * import { renderMetrics } from "./metrics.ts";
 * const text = renderMetrics(
 *   { format: 1, source: "daemon", generatedAt: new Date(0).toISOString(), certificates: [], responders: [] },
 *   { fetches: [], fetchDurations: [], pushes: [] },
 *   { version: "0.1.0" },
 * );
 * console.assert(text.includes('stapled_build_info{version="0.1.0"} 1'));
 * ```
 */
export function renderMetrics(
  snapshot: HealthSnapshot,
  counters: HealthCounters,
  options: RenderMetricsOptions,
): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => {
    out.push(
      `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`,
      `# TYPE ${name} ${type}`,
    );
  };
  const sample = (name: string, l: Record<string, string>, value: number) => {
    out.push(`${name}${labels(l)} ${num(value)}`);
  };

  family("stapled_build_info", "gauge", "stapled's version; always 1.");
  sample("stapled_build_info", { version: options.version }, 1);

  family("stapled_certificates", "gauge", "Certificate files known.");
  sample("stapled_certificates", {}, snapshot.certificates.length);

  const stapled = snapshot.certificates.filter((c) => c.parsed && c.ocspUrls.length > 0);
  family(
    "stapled_ocsp_response_next_update_timestamp_seconds",
    "gauge",
    "When the staple's response stops being valid: min(nextUpdate, thisUpdate + 10 days), in seconds since the epoch.",
  );
  for (const c of stapled) {
    if (c.expiresAt && c.staple !== "none") {
      sample(
        "stapled_ocsp_response_next_update_timestamp_seconds",
        { path: c.path },
        Date.parse(c.expiresAt) / 1000,
      );
    }
  }
  family(
    "stapled_ocsp_response_status",
    "gauge",
    "The staple's status: 0 good, 1 revoked, 2 unknown (no valid staple).",
  );
  const now = Date.parse(snapshot.generatedAt);
  for (const c of stapled) {
    const valid = c.expiresAt !== undefined && Date.parse(c.expiresAt) > now;
    const value = c.staple === "revoked" ? 1 : c.staple === "good" && valid ? 0 : 2;
    sample("stapled_ocsp_response_status", { path: c.path }, value);
  }

  family(
    "stapled_ocsp_fetch_total",
    "counter",
    "OCSP fetches by responder and result (ok, or the error kind).",
  );
  for (const f of counters.fetches) {
    sample("stapled_ocsp_fetch_total", { responder: f.responder, result: f.result }, f.count);
  }

  family(
    "stapled_ocsp_fetch_duration_seconds",
    "histogram",
    "OCSP fetch durations by responder host.",
  );
  for (const h of counters.fetchDurations) {
    for (const b of h.buckets) {
      sample(
        "stapled_ocsp_fetch_duration_seconds_bucket",
        { host: h.host, le: num(b.le) },
        b.count,
      );
    }
    sample("stapled_ocsp_fetch_duration_seconds_bucket", { host: h.host, le: "+Inf" }, h.count);
    sample("stapled_ocsp_fetch_duration_seconds_sum", { host: h.host }, h.sum);
    sample("stapled_ocsp_fetch_duration_seconds_count", { host: h.host }, h.count);
  }

  family(
    "stapled_responder_up",
    "gauge",
    "1 when the responder answers, 0 after failures in a row.",
  );
  for (const r of snapshot.responders) {
    sample("stapled_responder_up", { responder: r.url }, r.up ? 1 : 0);
  }

  family("stapled_haproxy_push_total", "counter", "Staple pushes to HAProxy by socket and result.");
  for (const p of counters.pushes) {
    sample("stapled_haproxy_push_total", { socket: p.socket, result: p.result }, p.count);
  }

  family("stapled_scan_duration_seconds", "gauge", "How long the last certificate scan took.");
  if (snapshot.scanDurationSeconds !== undefined) {
    sample("stapled_scan_duration_seconds", {}, snapshot.scanDurationSeconds);
  }

  return out.join("\n") + "\n";
}

/**
 * Reads a `--metrics-listen` address: `host:port`, `[v6]:port` or `:port`
 * / `port` (then on {@linkcode DEFAULT_METRICS_HOST}).
 *
 * @param text The address.
 * @returns Host and port.
 * @throws {RangeError} For a port outside 0-65535 or an empty host in brackets.
 *
 * @example
 * ```ts
 * import { parseListenAddress } from "./metrics.ts";
 * console.assert(parseListenAddress("9633").hostname === "127.0.0.1");
 * console.assert(parseListenAddress("[::1]:9633").hostname === "::1");
 * ```
 */
export function parseListenAddress(text: string): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]+)\]:|([^:]*):)?([0-9]+)$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot listen for metrics on '${text}': expected host:port, [ipv6]:port or a port`,
    );
  }
  return { hostname: m[1] ?? (m[2] || DEFAULT_METRICS_HOST), port };
}

/**
 * Checks `--metrics-listen` when the configuration is read, so a bad
 * address is a one-line configuration error (exit 2) and a SIGHUP with one
 * keeps the old configuration.
 *
 * @param listen The option's value, if given.
 * @throws {ConfigError} When it is not host:port, [ipv6]:port or a port.
 *
 * @example
 * ```ts
 * import { checkMetricsListen } from "./metrics.ts";
 * checkMetricsListen("127.0.0.1:9633");
 * checkMetricsListen(undefined);
 * let failed = false;
 * try {
 *   checkMetricsListen("localhost:99999");
 * } catch {
 *   failed = true;
 * }
 * console.assert(failed);
 * ```
 */
export function checkMetricsListen(listen: string | undefined): void {
  if (listen === undefined || listen === "") return;
  try {
    parseListenAddress(listen);
  } catch (err) {
    throw new ConfigError(
      "",
      `--metrics-listen ${
        (err as Error).message.replace(/^Cannot listen for metrics on '[^']*': /, "")
      }, not '${listen}' (e.g. --metrics-listen 127.0.0.1:9633)`,
    );
  }
}

/** Options of {@linkcode startMetricsServer}. */
export interface MetricsServerOptions {
  /** Where: see {@linkcode parseListenAddress}. @default "127.0.0.1:9633" */
  listen?: string;
  /** The body of `/metrics`. */
  metrics: () => string | Promise<string>;
  /** Whether the daemon is healthy, for `/healthz` (200 or 503). @default always */
  healthy?: () => boolean;
}

/** A running metrics server. */
export interface MetricsServer {
  /** The address it listens on (the real port when 0 was asked). */
  readonly hostname: string;
  /** Its port. */
  readonly port: number;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves `/metrics` and `/healthz` over HTTP.
 *
 * @param options Address, the metrics text, the health check.
 * @returns The running server.
 * @throws {Deno.errors.AddrInUse} When the address is taken.
 *
 * @example Scrape it
 * ```ts
 * import { startMetricsServer } from "./metrics.ts";
 * const server = startMetricsServer({ listen: "127.0.0.1:0", metrics: () => "x 1\n" });
 * const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
 * console.assert((await res.text()) === "x 1\n");
 * await server.close();
 * ```
 */
export function startMetricsServer(options: MetricsServerOptions): MetricsServer {
  const { hostname, port } = parseListenAddress(options.listen ?? `${DEFAULT_METRICS_HOST}:9633`);
  const healthy = options.healthy ?? (() => true);
  const server = Deno.serve({ hostname, port, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (url.pathname === "/metrics") {
      return new Response(await options.metrics(), {
        headers: { "content-type": METRICS_CONTENT_TYPE },
      });
    }
    if (url.pathname === "/healthz") {
      const ok = healthy();
      return new Response(ok ? "ok\n" : "unhealthy\n", {
        status: ok ? 200 : 503,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    return new Response("not found: try /metrics or /healthz\n", { status: 404 });
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    async close() {
      await server.shutdown();
    },
  };
}
