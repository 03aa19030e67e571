/**
 * One named queue: its pending tasks by subject, the due tasks waiting for a
 * concurrency slot in FIFO order, and the running handlers.
 *
 * @module
 */
import type { Entry } from "./_entry.ts";
import type { TaskHandler } from "./task.ts";

/** Counts of one queue's tasks, for tests and logs. */
export interface QueueStats {
  /** Tasks in the timer wheel, not yet due. */
  scheduled: number;
  /** Due tasks waiting for a free concurrency slot. */
  waiting: number;
  /** Tasks whose handler has not settled yet. */
  running: number;
}

/** Reports a handler's failure; see `SchedulerOptions.onError`. */
export type ErrorReporter = (error: unknown, task: Entry) => void;

/** A queue's tasks and its handler runs. */
export class TaskQueue {
  #handler: TaskHandler<unknown>;
  #concurrency: number;
  #onError: ErrorReporter;
  /** Scheduled or waiting tasks, by subject: at most one per subject. */
  #pending = new Map<unknown, Entry>();
  #waiting = new Set<Entry>();
  #running = new Set<Entry>();
  #inflight = new Set<Promise<void>>();

  /**
   * @param handler Runs one task.
   * @param concurrency How many handlers may run at once.
   * @param onError Gets what a handler threw or rejected with.
   */
  constructor(handler: TaskHandler<unknown>, concurrency: number, onError: ErrorReporter) {
    this.#handler = handler;
    this.#concurrency = concurrency;
    this.#onError = onError;
  }

  /**
   * Looks up the pending task for a subject.
   *
   * @param subject A task subject.
   * @returns The scheduled or waiting task for it, if any.
   */
  pendingFor(subject: unknown): Entry | undefined {
    return this.#pending.get(subject);
  }

  /** The scheduled and waiting tasks. */
  pending(): IterableIterator<Entry> {
    return this.#pending.values();
  }

  /** The tasks whose handler has not settled yet. */
  running(): IterableIterator<Entry> {
    return this.#running.values();
  }

  /**
   * @param entry A task.
   * @returns Whether its handler is running in this queue.
   */
  isRunning(entry: Entry): boolean {
    return this.#running.has(entry);
  }

  /**
   * Records a new scheduled task as the one pending for its subject.
   *
   * @param entry The task, in state `scheduled`.
   */
  track(entry: Entry): void {
    this.#pending.set(entry.subject, entry);
  }

  /**
   * Marks a scheduled task due: it waits for a free slot behind those already
   * waiting.
   *
   * @param entry The task.
   */
  makeDue(entry: Entry): void {
    entry.state = "waiting";
    this.#waiting.add(entry);
  }

  /**
   * Forgets a scheduled or waiting task; the caller takes it out of the wheel.
   *
   * @param entry The task.
   */
  untrack(entry: Entry): void {
    this.#waiting.delete(entry);
    if (this.#pending.get(entry.subject) === entry) this.#pending.delete(entry.subject);
  }

  /** Starts waiting tasks, oldest first, while there are free slots. */
  pump(): void {
    while (this.#running.size < this.#concurrency) {
      const next = this.#waiting.values().next();
      if (next.done) return;
      this.untrack(next.value);
      this.#start(next.value);
    }
  }

  /**
   * Counts the queue's tasks.
   *
   * @returns The counts; `scheduled` is the pending tasks not yet due.
   */
  stats(): QueueStats {
    return {
      scheduled: this.#pending.size - this.#waiting.size,
      waiting: this.#waiting.size,
      running: this.#running.size,
    };
  }

  /**
   * Waits for the handlers running now.
   *
   * @returns A promise settling when they have settled.
   */
  settled(): Promise<void> {
    return Promise.all(this.#inflight).then(() => {});
  }

  #start(entry: Entry): void {
    entry.state = "running";
    this.#running.add(entry);
    const run = this.#run(entry);
    this.#inflight.add(run);
    run.then(() => this.#inflight.delete(run));
  }

  async #run(entry: Entry): Promise<void> {
    const handler = this.#handler; // called without the queue as `this`
    try {
      await handler(entry);
    } catch (error) {
      try {
        this.#onError(error, entry);
      } catch {
        // A failing reporter must not stop the queue either.
      }
    } finally {
      this.#running.delete(entry);
      entry.state = "done";
      this.pump();
    }
  }
}
