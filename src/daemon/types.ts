/**
 * What the engine is given (sources, sink, settings) and what it gives back
 * (outcomes and events), shared by the engine and the modes that run it.
 *
 * @module
 */
import type { CertBundle } from "../certs/mod.ts";
import type { FindOptions } from "../finder/mod.ts";
import type {
  HaproxyCrtStoreLoad,
  HaproxyExtraFiles,
  HaproxyOcspUpdate,
} from "../haproxy/config/mod.ts";
import type { RenewResult } from "../renewer/mod.ts";
import type { FirstPassSummary } from "./_first_pass.ts";
import type { ProxySettings } from "../ocsp/responders/mod.ts";
import type { Clock } from "../scheduler/mod.ts";
import type { StapleNaming, StapleStore, StateStore } from "../staples/mod.ts";

/** Where certificates come from, and who serves them. */
export interface CertSource<Socket = unknown> {
  /** Certificate files or directories. */
  paths: string[];
  /** How to find files under them. */
  find?: FindOptions;
  /** The HAProxy sockets serving these certificates. */
  sockets?: readonly Socket[];
  /** How staple files are named. @default "append" */
  naming?: StapleNaming;
  /** HAProxy's `ssl-load-extra-files` for these certificates (where the issuer may come from). */
  extraFiles?: HaproxyExtraFiles;
  /** The crt-store `load` line the certificate comes from (HAProxy 3.0+; `HaproxyCertEntry.crtStore`). */
  crtStore?: HaproxyCrtStoreLoad;
  /** The staple file the configuration names (`ocsp <file>`), instead of `<crt>.ocsp`. */
  stapleFile?: string;
  /** The issuer file the configuration names (`issuer <file>`), instead of `<crt>.issuer`. */
  issuerFile?: string;
  /** HAProxy's own OCSP updater refreshes these in memory: staples are written, never pushed. */
  haproxyUpdates?: HaproxyOcspUpdate;
  /** HAProxy's global `issuers-chain-path` for these certificates. */
  issuersChainPath?: string;
  /** HAProxy's runtime API name of the certificate (crt-store: `@web/k1.pem`); found by path when absent. */
  haproxyPath?: string;
}

/** How a staple is pushed: what the runtime client needs beyond the certificate path. */
export interface StaplePushOptions {
  /** HAProxy's name of the certificate (`show ssl cert`), when it is not the file's path. */
  runtimeName?: string;
  /** The file holding the issuer, for a bundle without it (a bootstrap transaction sends it). */
  issuerFile?: string;
}

/** The issuer of a bundle fetched (or, in check mode, to be fetched) from its caIssuers URL. */
export interface IssuerFetch {
  /** The leaf's caIssuers URL. */
  url: string;
  /** The issuer file written (where HAProxy reads it). */
  file: string;
  /** False in check mode: nothing was fetched. */
  fetched: boolean;
}

/** Receives staples for HAProxy; the engine does not wait for it (but a one-off run does, at its end). */
export interface StapleSink<Socket = unknown> {
  /** A new staple for `certPath`, to push to `sockets` (`options`: its runtime name and issuer). */
  push(
    certPath: string,
    der: Uint8Array,
    sockets: readonly Socket[],
    options?: StaplePushOptions,
  ): Promise<unknown>;
  /** `certPath` is gone; stop re-pushing it. */
  forget(certPath: string): void;
  /** Closes the sockets. */
  close(): Promise<void>;
}

/** Renewal policy and settings. */
export interface DaemonSettings {
  /** Seconds between scans. @default DEFAULTS.refreshInterval */
  refreshInterval?: number;
  /** Renewals in flight per responder (scheme, host, port). @default DEFAULTS.renewalThreads */
  renewalThreads?: number;
  /** Seconds of validity below which a staple is renewed. @default DEFAULTS.minimumValidity */
  minimumValidity?: number;
  /** Reuse valid staples found on disk when a file is (re)parsed. @default DEFAULTS.recycle */
  recycle?: boolean;
  /** Empty staple instead of a revoked response. @default DEFAULTS.goodOnly */
  goodOnly?: boolean;
  /** Send nonces. @default DEFAULTS.nonce */
  nonce?: boolean;
  /** OCSP HTTP timeout, seconds. @default DEFAULTS.timeout */
  timeout?: number;
  /** Where stack traces of unexpected errors go. */
  logdir?: string;
  /** Watch the cert paths for changes (daemon mode only). @default DEFAULTS.watch */
  watch?: boolean;
  /** Fetch a missing issuer from the leaf's caIssuers URL. @default DEFAULTS.fetchIssuer */
  fetchIssuer?: boolean;
  /** A forward proxy for every OCSP request (`--ocsp-proxy`), over HTTP(S)_PROXY. @default none */
  ocspProxy?: string;
  /** `--ocsp-responder-override FROM=TO` rules, in order (see `parseResponderOverride`). @default [] */
  ocspResponderOverride?: readonly string[];
  /**
   * Where remembered validations are kept (`--state-dir`); none when unset
   * or not writable. @default none
   */
  stateDir?: string;
}

/**
 * How the engine runs:
 * - `daemon`: for ever: periodic scans, file watching, renewals and retries
 *   by `policy.ts`;
 * - `one-off`: one scan; each certificate settles after its first parse or
 *   renewal outcome; nothing is retried or rescheduled;
 * - `check`: as `one-off`, but only discovery and parsing: nothing is
 *   fetched, written, removed or pushed.
 */
export type EngineMode = "daemon" | "one-off" | "check";

/** What became of a certificate, each time something did. */
export interface CertOutcome<Socket = unknown> {
  /** The certificate file. */
  path: string;
  /**
   * `stapled` (a good staple is on disk), `revoked` (a revoked response, or
   * an empty staple under --good-only), `skipped` (no OCSP URL), `parsed`
   * (check mode: it would be stapled), `failed`.
   */
  status: "stapled" | "revoked" | "skipped" | "parsed" | "failed";
  /** The renewal's result (`stapled`, `revoked`). */
  result?: RenewResult;
  /** The bundle (`parsed`; absent when its issuer would be fetched, see `issuerFetch`). */
  bundle?: CertBundle;
  /** The issuer was fetched from the leaf's caIssuers URL (check mode: would be). */
  issuerFetch?: IssuerFetch;
  /** The issuer came from this file of HAProxy's `issuers-chain-path`. */
  issuerDirFile?: string;
  /** Why (`failed`): a StapledError, or anything unexpected. */
  error?: unknown;
  /** How long the renewal took, ms (renewal outcomes). */
  durationMs?: number;
  /** The first source listing the file (its staple naming and extra files). */
  source: CertSource<Socket>;
  /** The sockets of every source listing the file. */
  sockets: Socket[];
}

/** What the engine tells its subscribers. Data flows one way: out. */
export interface EngineEvents<Socket = unknown> {
  /** A scan starts (its number since start or the last reload). */
  scan: number;
  /** The finder has something to say (a path that cannot be read, a bad ignore pattern). */
  warning: string;
  /** A certificate's parse or renewal came to something. */
  outcome: CertOutcome<Socket>;
  /** A batch of staples changed on disk (daemon: after 1 s without changes; one-off: at the end). */
  staplesChanged: string[];
  /** Daemon: every certificate the first scan found came to an outcome (its next run is scheduled). */
  firstPass: FirstPassSummary;
}

/** Options of `Engine`. */
export interface EngineOptions<Socket = unknown> extends DaemonSettings {
  /** The certificate sources. */
  sources: CertSource<Socket>[];
  /** How it runs. @default "daemon" */
  mode?: EngineMode;
  /** Where new staples go (HAProxy). @default none */
  sink?: StapleSink<Socket>;
  /** The clock. @default systemClock */
  clock?: Clock;
  /** Where staples are kept. @default the files beside the certificates */
  store?: StapleStore;
  /** Remembered validations. @default a FileStateStore in stateDir, when set */
  state?: StateStore;
  /** The fetch implementation. */
  fetch?: typeof fetch;
  /** Random numbers for jitter. @default Math.random */
  random?: () => number;
  /** Proxy settings of the environment. @default proxySettingsFromEnv() (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) */
  proxySettings?: ProxySettings;
  /** Scheduler tick, ms. @default 1000 */
  tickMs?: number;
}

/** Counters for logs and tests. */
export interface DaemonStats {
  /** Certificates known. */
  certificates: number;
  /** Staples written or reused since start. */
  renewed: number;
  /** Renewals that failed since start. */
  failures: number;
  /** OCSP fetches made since start. */
  fetches: number;
  /** Scans made since start (or the last reload). */
  scans: number;
}
