/**
 * What a scheduled task looks like to its caller and to the handler that runs
 * it.
 *
 * @module
 */

/**
 * Where a task is in its life:
 * - `scheduled`: waiting in the timer wheel for its due time;
 * - `waiting`: due, waiting in its queue for a free concurrency slot;
 * - `running`: its handler has been called and has not settled yet;
 * - `done`: its handler settled (fulfilled, threw or rejected);
 * - `cancelled`: removed before it ran; it never will.
 */
export type TaskState = "scheduled" | "waiting" | "running" | "done" | "cancelled";

/**
 * A task handed out by `Scheduler.add()` and passed to the queue's handler.
 *
 * @typeParam P The payload type.
 *
 * @example Dropping a stale result
 * ```ts
 * import type { Task } from "./task.ts";
 *
 * async function renew(task: Task<string>): Promise<void> {
 *   const staple = await Promise.resolve(`staple for ${task.payload}`);
 *   if (task.signal.aborted) return; // the certificate changed meanwhile
 *   console.log(staple);
 * }
 * ```
 */
export interface Task<P = unknown> {
  /** The name of the queue the task belongs to. */
  readonly queue: string;
  /**
   * What the task is about (any object or string, typically the certificate
   * path). One queue holds at most one pending task per subject.
   */
  readonly subject: unknown;
  /** The data handed to the handler. */
  readonly payload: P;
  /** When the task was due, in milliseconds since the epoch. */
  readonly dueAt: number;
  /** Where the task is in its life. */
  readonly state: TaskState;
  /**
   * Aborted when the task is replaced before it ran by a newer task for the
   * same queue and subject, or cancelled by `cancel()`, `cancelSubject()` or
   * `close()`. Those three also abort a running task: its handler is not
   * interrupted, but should drop its result. A running task is never aborted
   * by a replacement (a handler may reschedule its own subject). The reason is
   * a `DOMException` named `AbortError`.
   */
  readonly signal: AbortSignal;
  /**
   * Whether {@linkcode Task.signal} is aborted; reading it does not create
   * the signal (an AbortController per task is most of a task's memory).
   */
  readonly aborted: boolean;
}

/**
 * Runs one task of a queue. A throw or rejection is reported through the
 * scheduler's `onError` and never stops the scheduler.
 *
 * @typeParam P The payload type.
 * @param task The task to run.
 * @returns A promise settling when the work is done.
 */
export type TaskHandler<P> = (task: Task<P>) => Promise<void>;
