/**
 * Which file names the finder considers: extension lists, dotfiles and the
 * sibling files HAProxy and stapled keep beside a certificate.
 *
 * @module
 */

import { DEFAULTS } from "../config/defaults.ts";

/** The extensions scanned when none are given: `--file-extensions`' default (`crt`, `pem`, `cer`). */
export const DEFAULT_EXTENSIONS: readonly string[] = DEFAULTS.fileExtensions;

/**
 * Extensions of the files HAProxy loads beside a certificate (`foo.pem.ocsp`,
 * `.issuer`, `.key`, `.sctl`): never certificates themselves.
 */
export const SIBLING_EXTENSIONS: ReadonlySet<string> = new Set(["ocsp", "issuer", "key", "sctl"]);

/**
 * Turns an extension list into a lower-case set without leading dots.
 *
 * @param extensions The extensions as the operator wrote them.
 * @returns The normalised set.
 * @throws {RangeError} An extension is empty, holds a `.` or `/` inside, or
 *   names a sibling file (`ocsp`, `issuer`, `key`, `sctl`).
 */
export function normalizeExtensions(extensions: readonly string[]): ReadonlySet<string> {
  const set = new Set<string>();
  for (const raw of extensions) {
    const ext = raw.trim().replace(/^\./, "").toLowerCase();
    if (ext === ANY_EXTENSION) {
      set.add(ext);
      continue;
    }
    if (ext === "") {
      throw new RangeError(`Cannot find certificate files: extension "${raw}" is empty`);
    }
    if (ext.includes(".") || ext.includes("/")) {
      throw new RangeError(
        `Cannot find certificate files: extension "${raw}" holds a "." or "/"`,
      );
    }
    if (SIBLING_EXTENSIONS.has(ext)) {
      throw new RangeError(
        `Cannot find certificate files: extension "${raw}" names a file HAProxy loads beside a certificate`,
      );
    }
    set.add(ext);
  }
  return set;
}

/**
 * The lower-cased text after the last `.` of a file name, or "" when it has none.
 *
 * @param name A file name (no directory).
 * @returns The extension.
 */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
}

/**
 * The extension that keeps every file but dotfiles and siblings, as HAProxy
 * loads a `crt` directory.
 */
export const ANY_EXTENSION = "*";

/**
 * Whether a name is never a certificate: a dotfile (which includes the
 * `.<name>.ocsp.<random>.tmp` files stapled writes) or a sibling file.
 *
 * @param name A file name (no directory).
 * @returns True when the name is skipped whatever the extension list.
 */
export function isNeverCert(name: string): boolean {
  return name.startsWith(".") || SIBLING_EXTENSIONS.has(extensionOf(name));
}

/**
 * Whether a name found in a directory is a certificate candidate.
 *
 * @param name A file name (no directory).
 * @param extensions The normalised extension set.
 * @returns True when the file should be kept.
 */
export function isCertName(name: string, extensions: ReadonlySet<string>): boolean {
  return !isNeverCert(name) && (extensions.has(ANY_EXTENSION) || extensions.has(extensionOf(name)));
}
