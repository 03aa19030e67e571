/**
 * The scheduler: named queues of tasks run now, after a delay or at a time,
 * held in a hashed hierarchical timer wheel with one timer armed for the next
 * due task, and run by each queue's handler under its concurrency limit.
 *
 * @module
 */
import { byDueOrder, Entry } from "./_entry.ts";
import { type QueueStats, TaskQueue } from "./_queue.ts";
import { TimerWheel } from "./_wheel.ts";
import { type Clock, MAX_TIMER_DELAY_MS, systemClock } from "./clock.ts";
import type { Task, TaskHandler } from "./task.ts";

export type { QueueStats } from "./_queue.ts";

/** Options of {@linkcode Scheduler}. */
export interface SchedulerOptions {
  /**
   * Where time comes from and where the timer is armed.
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * The wheel's resolution in whole milliseconds: a task runs at most this
   * much after it is due (given a free concurrency slot), never before.
   *
   * @default {1000}
   */
  tickMs?: number;
  /**
   * Gets what a handler threw or rejected with. Whatever it does (even
   * throwing), the scheduler carries on.
   *
   * @default {() => {}} (ignore)
   */
  onError?: (error: unknown, task: Task) => void;
}

/** Options of {@linkcode Scheduler.addQueue}. */
export interface QueueOptions<P> {
  /** Runs one task of the queue. */
  handler: TaskHandler<P>;
  /**
   * How many of the queue's handlers may run at once: a positive integer or
   * `Infinity`. Due tasks beyond it wait in FIFO order.
   *
   * @default {1}
   */
  concurrency?: number;
}

/**
 * A task to add. Give at most one of `delay` and `at`; with neither the task
 * runs now. A due time in the past also means now.
 */
export interface TaskSpec<K extends string, P> {
  /** The queue's name. */
  queue: K;
  /** What the task is about; replaces the queue's pending task for it. */
  subject: unknown;
  /** The data for the handler. */
  payload: P;
  /** Run after this many milliseconds. */
  delay?: number;
  /** Run at this time, in milliseconds since the epoch. */
  at?: number;
}

/** The default `onError`: failures are ignored. */
function ignore(): void {}

/**
 * Schedules tasks in named queues. Adding and cancelling are O(1); with
 * nothing scheduled no timer is armed, and otherwise exactly one, for the next
 * due task (chained when it is over 24.8 days away), so an idle daemon sleeps.
 *
 * Task order: due time, then insertion. Adding a task for a (queue, subject)
 * that already has a pending (scheduled or waiting) task replaces that task.
 *
 * @typeParam Queues Maps each queue name to its payload type.
 *
 * @example Renewing a staple in an hour
 * ```ts
 * import { Scheduler } from "./scheduler.ts";
 *
 * const scheduler = new Scheduler<{ renew: { path: string } }>();
 * scheduler.addQueue("renew", {
 *   concurrency: 2,
 *   handler: async (task) => console.log("renewing", task.payload.path),
 * });
 * scheduler.add({ queue: "renew", subject: "/etc/ssl/a.pem", payload: { path: "/etc/ssl/a.pem" }, delay: 3_600_000 });
 * await scheduler.close();
 * ```
 */
export class Scheduler<Queues extends Record<string, unknown> = Record<string, unknown>> {
  #clock: Clock;
  #tickMs: number;
  #onError: (error: unknown, task: Task) => void;
  #queues = new Map<string, TaskQueue>();
  #wheel: TimerWheel;
  #seq = 0;
  #closed = false;
  #pumpQueued = false;
  #timer: unknown = undefined;
  #timerTick: number | undefined = undefined;
  /** Bumped on every arm and disarm, so a stale timer callback does nothing. */
  #timerGeneration = 0;

  /**
   * Creates a scheduler with no queues and no timer armed.
   *
   * @param options See {@linkcode SchedulerOptions}.
   * @throws {RangeError} If `tickMs` is not a positive integer.
   */
  constructor(options: SchedulerOptions = {}) {
    const { clock = systemClock, tickMs = 1000, onError = ignore } = options;
    if (!Number.isSafeInteger(tickMs) || tickMs < 1) {
      throw new RangeError(
        `Cannot create scheduler: tickMs must be a positive integer, got ${tickMs}`,
      );
    }
    this.#clock = clock;
    this.#tickMs = tickMs;
    this.#onError = onError;
    this.#wheel = new TimerWheel(this.#nowTick());
  }

  /**
   * Adds a named queue and the handler that runs its tasks.
   *
   * @param name The queue's name.
   * @param options The handler and concurrency limit.
   * @throws {RangeError} If the name is taken or `concurrency` is not a
   * positive integer or `Infinity`.
   */
  addQueue<K extends keyof Queues & string>(name: K, options: QueueOptions<Queues[K]>): void {
    const { handler, concurrency = 1 } = options;
    if (this.#queues.has(name)) {
      throw new RangeError(`Cannot add queue: "${name}" already exists`);
    }
    if (!(Number.isSafeInteger(concurrency) || concurrency === Infinity) || concurrency < 1) {
      throw new RangeError(
        `Cannot add queue "${name}": concurrency must be a positive integer, got ${concurrency}`,
      );
    }
    this.#queues.set(
      name,
      new TaskQueue(handler as TaskHandler<unknown>, concurrency, this.#onError),
    );
  }

  /**
   * Adds a task, replacing the queue's pending task for the same subject
   * (whose signal is aborted). After `close()` the task comes back already
   * cancelled.
   *
   * @param spec The queue, subject, payload and when.
   * @returns The task.
   * @throws {RangeError} If the queue does not exist, both `delay` and `at`
   * are given, or the due time is not a finite number.
   */
  add<K extends keyof Queues & string>(spec: TaskSpec<K, Queues[K]>): Task<Queues[K]> {
    const { queue, subject, payload, delay, at } = spec;
    const target = this.#queue(queue, "add task");
    if (delay !== undefined && at !== undefined) {
      throw new RangeError(`Cannot add task to "${queue}": give delay or at, not both`);
    }
    const now = this.#clock.now();
    const dueAt = at ?? now + (delay ?? 0);
    if (!Number.isFinite(dueAt) || Math.abs(dueAt) > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`Cannot add task to "${queue}": due time ${dueAt} is not a valid time`);
    }
    const tick = Math.ceil(dueAt / this.#tickMs);
    const entry = new Entry<Queues[K]>({ queue, subject, payload, dueAt, tick, seq: this.#seq++ });
    if (this.#closed) {
      entry.state = "cancelled";
      entry.abort("Scheduler closed");
      return entry;
    }
    const previous = target.pendingFor(subject);
    if (previous !== undefined) this.#drop(target, previous, "Task replaced by a newer one");
    target.track(entry);
    if (this.#wheel.size === 0) this.#wheel.reset(this.#nowTick());
    if (dueAt <= now || !this.#wheel.insert(entry)) {
      target.makeDue(entry);
      this.#requestPump();
    } else if (this.#timerTick === undefined || tick < this.#timerTick) {
      this.#arm(tick);
    }
    return entry;
  }

  /**
   * Cancels a task: a scheduled or waiting one never runs; a running one is
   * not interrupted but its signal is aborted.
   *
   * @param task A task this scheduler's `add()` returned.
   * @returns Whether anything was cancelled (`false` when the task had
   * already finished or been cancelled).
   */
  cancel(task: Task): boolean {
    const queue = this.#queues.get(task.queue);
    if (queue === undefined || !(task instanceof Entry)) return false;
    if (queue.pendingFor(task.subject) === task) {
      this.#drop(queue, task, "Task cancelled");
      return true;
    }
    return queue.isRunning(task) && task.abort("Task cancelled");
  }

  /**
   * Cancels every task of a subject in every queue: pending ones (scheduled or
   * waiting for a slot) never run; running ones get their signal aborted.
   *
   * @param subject The subject, e.g. a certificate path.
   * @returns How many tasks were cancelled.
   */
  cancelSubject(subject: unknown): number {
    let count = 0;
    for (const queue of this.#queues.values()) {
      const pending = queue.pendingFor(subject);
      if (pending !== undefined) {
        this.#drop(queue, pending, "Task cancelled");
        count++;
      }
      for (const running of queue.running()) {
        if (running.subject === subject && running.abort("Task cancelled")) count++;
      }
    }
    return count;
  }

  /**
   * Looks up the pending task of a queue for a subject.
   *
   * @param queue A queue name.
   * @param subject A subject.
   * @returns The queue's scheduled or waiting task for the subject, if any.
   * @throws {RangeError} If the queue does not exist.
   */
  pendingTask<K extends keyof Queues & string>(
    queue: K,
    subject: unknown,
  ): Task<Queues[K]> | undefined {
    return this.#queue(queue, "find task").pendingFor(subject) as Task<Queues[K]> | undefined;
  }

  /**
   * Makes every scheduled task due now, in due order, whatever its time (the
   * original's `run_all`). Tasks added later are scheduled as usual.
   *
   * @returns How many tasks were made due.
   */
  runAllNow(): number {
    const entries = this.#wheel.drain().sort(byDueOrder);
    this.#disarm();
    this.#makeDue(entries);
    return entries.length;
  }

  /**
   * Cancels every pending task, aborts the signals of running ones, clears
   * the timer and makes later `add()` calls return cancelled tasks, so the
   * process can exit. Idempotent.
   *
   * @returns A promise settling when the handlers running now have settled.
   */
  close(): Promise<void> {
    this.#closed = true;
    for (const queue of this.#queues.values()) {
      for (const entry of [...queue.pending()]) this.#drop(queue, entry, "Scheduler closed");
      for (const entry of queue.running()) entry.abort("Scheduler closed");
    }
    this.#disarm();
    return Promise.all([...this.#queues.values()].map((queue) => queue.settled())).then(() => {});
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Counts a queue's tasks, for tests and logs.
   *
   * @param queue A queue name.
   * @returns The queue's counts of scheduled, waiting and running tasks.
   * @throws {RangeError} If the queue does not exist.
   */
  stats(queue: keyof Queues & string): QueueStats {
    return this.#queue(queue, "read stats").stats();
  }

  /** The number of pending (scheduled or waiting) tasks in all queues. */
  get size(): number {
    let size = 0;
    for (const queue of this.#queues.values()) {
      const { scheduled, waiting } = queue.stats();
      size += scheduled + waiting;
    }
    return size;
  }

  /**
   * The due time of the first scheduled task. Tasks already due and waiting
   * for a concurrency slot do not count.
   *
   * @returns Milliseconds since the epoch, or `undefined` with none scheduled.
   */
  nextDueAt(): number | undefined {
    return this.#wheel.first()?.dueAt;
  }

  /** Whether a timer is armed; never while nothing is scheduled. */
  get timerArmed(): boolean {
    return this.#timerTick !== undefined;
  }

  #queue(name: string, action: string): TaskQueue {
    const queue = this.#queues.get(name);
    if (queue === undefined) throw new RangeError(`Cannot ${action}: no queue named "${name}"`);
    return queue;
  }

  #nowTick(): number {
    return Math.floor(this.#clock.now() / this.#tickMs);
  }

  /** Removes a scheduled or waiting task for good. */
  #drop(queue: TaskQueue, entry: Entry, why: string): void {
    this.#wheel.remove(entry);
    queue.untrack(entry);
    entry.state = "cancelled";
    entry.abort(why);
    // A timer armed too early just finds nothing due and re-arms; but with
    // nothing scheduled no timer may stay armed.
    if (this.#wheel.size === 0) this.#disarm();
  }

  #makeDue(entries: Entry[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) this.#queue(entry.queue, "run task").makeDue(entry);
    this.#requestPump();
  }

  /** Starts due tasks in a microtask, so no handler runs inside a caller's `add()`. */
  #requestPump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      for (const queue of this.#queues.values()) queue.pump();
    });
  }

  #arm(tick: number): void {
    this.#disarm();
    const generation = this.#timerGeneration;
    const delay = Math.min(
      Math.max(tick * this.#tickMs - this.#clock.now(), 0),
      MAX_TIMER_DELAY_MS,
    );
    this.#timerTick = tick;
    this.#timer = this.#clock.setTimeout(() => this.#fire(generation), delay);
  }

  #disarm(): void {
    this.#timerGeneration++;
    if (this.#timerTick === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerTick = undefined;
  }

  #fire(generation: number): void {
    if (generation !== this.#timerGeneration) return;
    this.#timer = undefined;
    this.#timerTick = undefined;
    this.#makeDue(this.#wheel.advance(this.#nowTick()).sort(byDueOrder));
    const first = this.#wheel.first();
    if (first !== undefined) this.#arm(first.tick);
  }
}
