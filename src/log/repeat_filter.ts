/**
 * Deduplicates repeated messages per subject: the same error repeated for a
 * certificate is logged once, with a count when it finally changes.
 *
 * @module
 */

/** What {@link RepeatFilter.check} decided. */
export interface RepeatDecision {
  /** Whether to log the message now. */
  log: boolean;
  /**
   * When `log` is true: how many times the subject's previous message was
   * repeated unlogged (0 if none). When `log` is false: how many repeats of
   * this message have been swallowed so far, this one included.
   */
  repeated: number;
}

/**
 * Remembers the last message logged for each subject (e.g. a certificate
 * path) and counts repeats of it instead of logging them.
 *
 * - The first message for a subject is logged.
 * - The same message again is counted, not logged.
 * - A different message is logged, with the count of the previous one's
 *   repeats (`" (previous message repeated 3 times)"`, see
 *   {@link repeatNote}).
 * - {@link RepeatFilter.clear} (when the subject recovers or goes away)
 *   returns the count so the recovery line can carry it.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * const logger = getLogger(["stapled"]);
 * const filter = new RepeatFilter();
 * const { log, repeated } = filter.check("/etc/ssl/a.pem", "responder timed out");
 * if (log) logger.error(`responder timed out${repeatNote(repeated)}`, { cert: "/etc/ssl/a.pem" });
 * ```
 */
export class RepeatFilter {
  #last = new Map<string, { message: string; repeated: number }>();

  /**
   * Decides whether a message about a subject is logged now.
   *
   * @param subject What the message is about.
   * @param message The message text (without varying parts such as times).
   * @returns Whether to log it, and the repeat count.
   */
  check(subject: string, message: string): RepeatDecision {
    const last = this.#last.get(subject);
    if (last !== undefined && last.message === message) {
      last.repeated++;
      return { log: false, repeated: last.repeated };
    }
    this.#last.set(subject, { message, repeated: 0 });
    return { log: true, repeated: last?.repeated ?? 0 };
  }

  /**
   * Forgets a subject, when it recovers or is removed.
   *
   * @param subject What the messages were about.
   * @returns How many repeats of its last message went unlogged, or
   *   `undefined` when nothing was remembered for it.
   */
  clear(subject: string): number | undefined {
    const last = this.#last.get(subject);
    this.#last.delete(subject);
    return last?.repeated;
  }

  /** How many subjects have a remembered message. */
  get size(): number {
    return this.#last.size;
  }
}

/**
 * The text to append to a log line for a repeat count.
 *
 * @param repeated The count from {@link RepeatFilter}.
 * @returns `""` for 0, else `" (previous message repeated N times)"`.
 *
 * @example
 * ```ts
 * repeatNote(1); // " (previous message repeated 1 time)"
 * ```
 */
export function repeatNote(repeated: number | undefined): string {
  if (!repeated) return "";
  return ` (previous message repeated ${repeated} ${repeated === 1 ? "time" : "times"})`;
}
