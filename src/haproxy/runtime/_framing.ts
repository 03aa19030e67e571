/**
 * The bytes of HAProxy's prompt-mode CLI: how a command and its payload are
 * written, how an argument is escaped, and how a reply is cleaned of the
 * `+ ` echoes HAProxy prints while it reads a payload.
 *
 * @module
 */

/** What HAProxy prints after every reply in prompt mode. */
export const PROMPT = "\n> ";

/**
 * The longest command HAProxy's CLI reads with the default `tune.bufsize`
 * (16384): 16383 bytes, line, payload and line breaks included (measured with
 * HAProxy 2.6 and 3.0). A longer one makes HAProxy drop the connection.
 */
export const MAX_COMMAND_BYTES = 16383;

const PAYLOAD_ECHO_REGEXP = /^(?:\+ )+/;
const LINE_BREAK_REGEXP = /[\r\n]/;
const CLI_SPECIAL_REGEXP = /[\\ \t;]/g;

/**
 * The text that sends one command: `<line>\n`, or with a payload
 * `<line> <<\n<payload>\n\n` (the empty line ends the payload).
 *
 * @param line The command, without a line break.
 * @param payload The payload lines, without an empty line.
 * @returns The text to write.
 * @throws {RangeError} If the line breaks, the payload is empty or holds an
 *   empty line or a carriage return (either would end it early), or the text
 *   is longer than {@link MAX_COMMAND_BYTES}.
 *
 * @example A command with a payload
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeCommand } from "./_framing.ts";
 * assert.ok(encodeCommand("set ssl ocsp-response", "MAMKAQA=") === "set ssl ocsp-response <<\nMAMKAQA=\n\n");
 * ```
 */
export function encodeCommand(line: string, payload?: string): string {
  if (line.trim() === "" || LINE_BREAK_REGEXP.test(line)) {
    throw new RangeError(`Cannot send command: it must be one non-empty line`);
  }
  if (payload === undefined) return checkLength(`${line}\n`);
  const body = payload.replace(/\n+$/, "");
  if (body === "" || body.includes("\r") || body.split("\n").some((part) => part === "")) {
    throw new RangeError(`Cannot send payload: it must be non-empty lines`);
  }
  return checkLength(`${line} <<\n${body}\n\n`);
}

/**
 * The size of a command as HAProxy counts it, in bytes (UTF-8).
 *
 * @param text An encoded command.
 * @returns Its length in bytes.
 *
 * @example Bytes, not characters
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandBytes } from "./_framing.ts";
 * assert.equal(commandBytes("show ssl cert /é.pem\n"), 22);
 * ```
 */
export function commandBytes(text: string): number {
  return ENCODER.encode(text).length;
}

const ENCODER = new TextEncoder();

function checkLength(text: string): string {
  const bytes = commandBytes(text);
  if (bytes > MAX_COMMAND_BYTES) {
    throw new RangeError(
      `Cannot send command: it is ${bytes} bytes, more than the ${MAX_COMMAND_BYTES} ` +
        `HAProxy's CLI reads with the default tune.bufsize`,
    );
  }
  return text;
}

/**
 * A reply without the payload echoes before it and the line breaks around it.
 * HAProxy prints `+ ` for each payload line it reads, on the reply's line.
 *
 * @param raw The text HAProxy sent before the prompt.
 * @returns The reply text.
 *
 * @example The reply to a command with a two-line payload
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanReply } from "./_framing.ts";
 * assert.ok(cleanReply("+ + OCSP Response updated!\n") === "OCSP Response updated!");
 * ```
 */
export function cleanReply(raw: string): string {
  return raw.replace(PAYLOAD_ECHO_REGEXP, "").replace(/^\n+|\n+$/g, "");
}

/**
 * Escapes a word for HAProxy's CLI parser, which splits on spaces and tabs and
 * ends a command at `;` unless a backslash precedes them.
 *
 * @param word The word, e.g. a certificate path.
 * @returns The escaped word.
 * @throws {RangeError} If the word holds a line break, which no escape carries.
 *
 * @example A path with a space and a semicolon
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeCliWord } from "./_framing.ts";
 * assert.ok(escapeCliWord("/c/a b;c.pem") === "/c/a\\ b\\;c.pem");
 * ```
 */
export function escapeCliWord(word: string): string {
  if (LINE_BREAK_REGEXP.test(word)) {
    throw new RangeError(`Cannot send '${word}' to HAProxy: it holds a line break`);
  }
  return word.replace(CLI_SPECIAL_REGEXP, (char) => `\\${char}`);
}
