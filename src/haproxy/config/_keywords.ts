/**
 * HAProxy keyword tables the directive reader needs: section names, and the
 * `bind` / `stats socket` options that take a value (so a value is never
 * mistaken for a keyword).
 *
 * @module
 */

/** Keywords that start a section. */
export const SECTION_KEYWORDS: ReadonlySet<string> = new Set([
  "global",
  "defaults",
  "frontend",
  "backend",
  "listen",
  "peers",
  "userlist",
  "resolvers",
  "mailers",
  "cache",
  "program",
  "http-errors",
  "ring",
  "log-forward",
  "fcgi-app",
  "crt-store",
  "traces",
  "acme",
]);

/** Sections whose `bind` lines may serve certificates. */
export const BIND_SECTIONS: ReadonlySet<string> = new Set([
  "frontend",
  "listen",
  "peers",
  "log-forward",
]);

/** `bind` options that name a certificate (`default-crt` is HAProxy 3.0+). */
export const CERT_KEYWORDS: ReadonlySet<string> = new Set(["crt", "crt-list", "default-crt"]);

/** `bind` options followed by one value (HAProxy 2.6 manual section 5.1, plus later ones). */
export const BIND_VALUE_KEYWORDS: ReadonlySet<string> = new Set([
  "accept-netscaler-cip",
  "alpn",
  "backlog",
  "ca-file",
  "ca-ignore-err",
  "ca-sign-file",
  "ca-sign-pass",
  "ca-verify-file",
  "ciphers",
  "ciphersuites",
  "client-sigalgs",
  "crl-file",
  "crt-ignore-err",
  "curves",
  "ecdhe",
  "expose-fd",
  "gid",
  "group",
  "guid-prefix",
  "id",
  "idle-ping",
  "interface",
  "label",
  "level",
  "maxconn",
  "mode",
  "mss",
  "name",
  "namespace",
  "nice",
  "npn",
  "process",
  "proto",
  "quic-cc-algo",
  "quic-socket",
  "severity-output",
  "shards",
  "sigalgs",
  "ssl-max-ver",
  "ssl-min-ver",
  "tcp-md5sig",
  "tcp-ss",
  "tcp-ut",
  "thread",
  "tls-ticket-keys",
  "uid",
  "user",
  "verify",
]);

/**
 * Walks the options of a `bind` or `stats socket` line, skipping each
 * option's value.
 *
 * @param words The line's words.
 * @param start Index of the first option.
 * @returns Each option keyword with its index.
 */
export function* bindOptions(words: string[], start: number): Generator<[string, number]> {
  let i = start;
  while (i < words.length) {
    const keyword = words[i];
    yield [keyword, i];
    i += CERT_KEYWORDS.has(keyword) || BIND_VALUE_KEYWORDS.has(keyword) ? 2 : 1;
  }
}
