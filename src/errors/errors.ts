/**
 * The error kinds of stapled, after the original's exception table: each error
 * names the file it concerns and says why in one line an operator can act on.
 *
 * @module
 */

/** Every kind of error stapled reports; `kind` lets callers switch on it. */
export type ErrorKind =
  | "CertFileAccessError"
  | "CertParsingError"
  | "CertIssuerMissing"
  | "CertValidationError"
  | "OcspFetchError"
  | "OcspResponderError"
  | "OcspBadResponse"
  | "StapleWriteError"
  | "SocketError"
  | "StapleAdderBadResponse"
  | "ConfigError";

/**
 * Base class of all errors stapled expects. `message` is the full one-line
 * text: `<file>: <reason>`; `reason` is the text without the file.
 *
 * @example Branch on the kind, print the one line
 * ```ts
 * import { OcspResponderError } from "./errors.ts";
 * const err: StapledError = new OcspResponderError("/etc/ssl/www.pem", "tryLater");
 * console.assert(err.kind === "OcspResponderError");
 * console.assert(err.message.startsWith("/etc/ssl/www.pem: "));
 * ```
 */
export class StapledError extends Error {
  /** Which row of the exception table this error belongs to. */
  readonly kind: ErrorKind;
  /** The file (certificate, staple, config, socket) the error concerns. */
  readonly file: string;
  /** Why, without the file name. */
  readonly reason: string;

  /**
   * @param kind The error kind.
   * @param file The file concerned ("" when none).
   * @param reason One line saying why.
   * @param options Standard error options (`cause`).
   */
  constructor(kind: ErrorKind, file: string, reason: string, options?: ErrorOptions) {
    super(file ? `${file}: ${reason}` : reason, options);
    this.name = kind;
    this.kind = kind;
    this.file = file;
    this.reason = reason;
  }
}

/** A certificate file cannot be read (missing, permissions, vanished). Retried. */
export class CertFileAccessError extends StapledError {
  /**
   * @param file The certificate file.
   * @param reason Why it cannot be read.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super("CertFileAccessError", file, reason, options);
  }
}

/** A certificate file does not hold a usable bundle. Waits until the file changes. */
export class CertParsingError extends StapledError {
  /**
   * @param file The certificate file.
   * @param reason What is wrong with its contents.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super("CertParsingError", file, reason, options);
  }
}

/**
 * The bundle holds no issuer of its leaf, and no usable issuer file does
 * either (`<file>.issuer` missing, or HAProxy would not read one). Its own
 * kind, `CertIssuerMissing`, because it is retried (the issuer file is not a
 * certificate file the scanner watches) where other parsing errors wait for
 * the file to change; still a {@linkcode CertParsingError}.
 *
 * @example Branch on the kind
 * ```ts
 * import { CertIssuerMissingError, type StapledError } from "./errors.ts";
 * const err: StapledError = new CertIssuerMissingError("/etc/ssl/a.pem", "issuer missing: not in the bundle");
 * console.assert(err.kind === "CertIssuerMissing");
 * ```
 */
export class CertIssuerMissingError extends CertParsingError {
  /** Always `CertIssuerMissing`. */
  override readonly kind: ErrorKind = "CertIssuerMissing";

  /**
   * @param file The certificate file.
   * @param reason Where the issuer was looked for (starts with "issuer missing").
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(file, reason, options);
    this.name = "CertIssuerMissingError";
  }
}

/** The bundle parses but its chain is wrong (issuer did not sign it, expired). */
export class CertValidationError extends StapledError {
  /**
   * @param file The certificate file.
   * @param reason Which chain rule failed.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super("CertValidationError", file, reason, options);
  }
}

/** The OCSP responder could not be reached or answered with bad HTTP. Retried. */
export class OcspFetchError extends StapledError {
  /** The responder URL that failed. */
  readonly url: string;
  /**
   * @param file The certificate file.
   * @param url The responder URL.
   * @param reason What went wrong at the HTTP level.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, url: string, reason: string, options?: ErrorOptions) {
    super("OcspFetchError", file, `${url}: ${reason}`, options);
    this.url = url;
  }
}

/** Names of the non-successful OCSPResponseStatus values (RFC 6960 §4.2.1). */
export type OcspResponderStatus =
  | "malformedRequest"
  | "internalError"
  | "tryLater"
  | "sigRequired"
  | "unauthorized";

/** The responder answered with a non-successful responseStatus. Retried later. */
export class OcspResponderError extends StapledError {
  /** The status the responder gave. */
  readonly status: OcspResponderStatus;
  /**
   * @param file The certificate file.
   * @param status The responder's status.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, status: OcspResponderStatus, options?: ErrorOptions) {
    super("OcspResponderError", file, `OCSP responder answered ${status}`, options);
    this.status = status;
  }
}

/**
 * The OCSP response is invalid, untrusted or not stapleable. `check` names the
 * validation rule that failed (see `src/ocsp/validate.ts`).
 */
export class OcspBadResponse extends StapledError {
  /** The name of the failed check, e.g. `signer-authorized`. */
  readonly check: string;
  /**
   * @param file The certificate file.
   * @param check The failed check's name.
   * @param reason What the response got wrong.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, check: string, reason: string, options?: ErrorOptions) {
    super("OcspBadResponse", file, `OCSP response rejected (${check}): ${reason}`, options);
    this.check = check;
  }
}

/** A staple file could not be written. The previous staple is untouched. */
export class StapleWriteError extends StapledError {
  /**
   * @param file The staple file.
   * @param reason Why writing failed.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super("StapleWriteError", file, reason, options);
  }
}

/** A HAProxy socket cannot be opened or used. Reconnected with backoff. */
export class SocketError extends StapledError {
  /**
   * @param socket The socket path or address.
   * @param reason Why it failed.
   * @param options Standard error options (`cause`).
   */
  constructor(socket: string, reason: string, options?: ErrorOptions) {
    super("SocketError", socket, reason, options);
  }
}

/** HAProxy did not accept a staple; carries HAProxy's own reply. */
export class StapleAdderBadResponse extends StapledError {
  /** What HAProxy answered. */
  readonly reply: string;
  /**
   * @param file The certificate file whose staple was refused.
   * @param reply HAProxy's reply text.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, reply: string, options?: ErrorOptions) {
    super(
      "StapleAdderBadResponse",
      file,
      `HAProxy refused the staple: ${reply.trim().replace(/\s*\n\s*/g, " | ")}`,
      options,
    );
    this.reply = reply;
  }
}

/** A usage or configuration error; the command exits with status 2. */
export class ConfigError extends StapledError {
  /**
   * @param file The config file concerned, or "" for the command line.
   * @param reason What is wrong, with a hint where possible.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super("ConfigError", file, reason, options);
  }
}

/**
 * Turns anything thrown into one line for the log, keeping a stapled error's
 * own text and naming the file for anything else.
 *
 * @param err What was thrown.
 * @param file The file being worked on, used when `err` does not name one.
 * @returns One line of text.
 */
export function describeError(err: unknown, file = ""): string {
  if (err instanceof StapledError) return err.message;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const line = text.split("\n")[0];
  return file ? `${file}: ${line}` : line;
}
