/**
 * Parses the reply to `show ssl cert`: the certificate files HAProxy has in
 * memory, and the one an open `set ssl cert` transaction is about.
 *
 * @module
 */

/** What `show ssl cert` lists. */
export interface SslCertListing {
  /** The certificate files, as HAProxy names them (its config's paths). */
  files: string[];
  /** The file an uncommitted `set ssl cert` transaction is about, or `null`. */
  transaction: string | null;
}

/**
 * Reads the reply to `show ssl cert`. HAProxy 2.6 answers (the transaction
 * section only while one is open; a `*` before the file marks it; paths are
 * as the config wrote them, here relative ones):
 *
 * ```text
 * # transaction
 * *certs/a.pem
 * # filename
 * certs/a.pem
 * certs/b.pem
 * ```
 *
 * @param reply The reply text (prompt and echoes removed).
 * @returns The files and the open transaction.
 *
 * @example Read a listing with an open transaction
 * ```ts
 * parseShowSslCert("# transaction\n*c/a.pem\n# filename\nc/a.pem\nc/b.pem");
 * // { files: ["c/a.pem", "c/b.pem"], transaction: "c/a.pem" }
 * ```
 */
export function parseShowSslCert(reply: string): SslCertListing {
  const listing: SslCertListing = { files: [], transaction: null };
  let section = "";
  for (const line of reply.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# ")) {
      section = line.slice(2).trim();
      continue;
    }
    switch (section) {
      case "transaction":
        listing.transaction = line.startsWith("*") ? line.slice(1) : line;
        break;
      case "filename":
        listing.files.push(line);
        break;
    }
  }
  return listing;
}
