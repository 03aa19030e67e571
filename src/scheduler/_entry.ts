/**
 * The scheduler's own record of a task: the public {@linkcode Task} fields
 * plus where it sits in the timer wheel.
 *
 * @module
 */
import type { Task, TaskState } from "./task.ts";

/** A task as the scheduler stores it. Internal: callers only see `Task`. */
export class Entry<P = unknown> implements Task<P> {
  /** The queue's name. */
  readonly queue: string;
  /** What the task is about. */
  readonly subject: unknown;
  /** The handler's data. */
  readonly payload: P;
  /** When it is due, in ms since the epoch. */
  readonly dueAt: number;
  /** The wheel tick it expires at: the first tick starting at or after `dueAt`. */
  readonly tick: number;
  /** Insertion order, to keep tasks due at the same time first in, first out. */
  readonly seq: number;
  /** Where the task is in its life. */
  state: TaskState = "scheduled";
  /** The wheel slot holding it, while it is in the wheel. */
  slot: Set<unknown> | undefined = undefined;
  /** The wheel level of `slot`. */
  level = 0;
  #controller: AbortController | undefined;
  /** Why the task was aborted; the `DOMException` is only built if the signal is used. */
  #why: string | undefined;

  /**
   * @param fields The task's public fields, its expiry tick and order.
   */
  constructor(
    fields: Pick<Entry<P>, "queue" | "subject" | "payload" | "dueAt" | "tick" | "seq">,
  ) {
    this.queue = fields.queue;
    this.subject = fields.subject;
    this.payload = fields.payload;
    this.dueAt = fields.dueAt;
    this.tick = fields.tick;
    this.seq = fields.seq;
  }

  /** Whether the task was aborted (without creating its signal). */
  get aborted(): boolean {
    return this.#why !== undefined;
  }

  /** Aborted once the task is cancelled; created on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#why !== undefined) this.#controller.abort(abortError(this.#why));
    }
    return this.#controller.signal;
  }

  /**
   * Aborts the task's signal once; later calls do nothing.
   *
   * @param why Why, e.g. "Task cancelled".
   * @returns Whether this call aborted it.
   */
  abort(why: string): boolean {
    if (this.#why !== undefined) return false;
    this.#why = why;
    this.#controller?.abort(abortError(why));
    return true;
  }
}

function abortError(why: string): DOMException {
  return new DOMException(why, "AbortError");
}

/**
 * Orders entries by due time, then by insertion.
 *
 * @param a One entry.
 * @param b Another.
 * @returns Negative when `a` runs first.
 */
export function byDueOrder(a: Entry, b: Entry): number {
  return a.dueAt - b.dueAt || a.seq - b.seq;
}
