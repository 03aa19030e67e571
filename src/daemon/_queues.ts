/**
 * The engine's queue routing: the scheduler's queues (scan, parse, and one
 * renew queue per responder), where a task goes (a renewal to the queue of
 * its certificate's responder, leaving the one it was in), the handlers
 * run with their certificate's entry (a responder's renew queue runs
 * {@linkcode responderQueueSlots} of them for its `-t` requests in flight,
 * which the responder pool bounds), and the count of running handlers that
 * `Engine.idle()` waits on.
 *
 * @module
 */
import type { Scheduler, Task } from "../scheduler/mod.ts";
import { isResponderQueue, responderQueueSlots } from "./_responders.ts";
import type { Settlement } from "./_settle.ts";
import type { CertEntry, Queue } from "./_stages.ts";
import type { CertTable } from "./_table.ts";

/** scan, parse, and one renew queue per responder (`renew <scheme://host:port>`). */
export type Queues = Record<string, null>;

/** What the router needs from the engine. */
export interface RouterParts<Socket> {
  scheduler: Scheduler<Queues>;
  table: CertTable<Socket>;
  settlement: Settlement;
  /** The renew queue of a certificate (its responder's). */
  queueOf: (entry: CertEntry) => string;
  /** Every renew queue. */
  renewQueues: () => string[];
}

/** Routes the engine's tasks to its queues and counts the handlers running. */
export class TaskRouter<Socket> {
  #parts: RouterParts<Socket>;
  #running = 0;
  #idleWaiters: Array<() => void> = [];

  /** @param parts The scheduler, table, settlement and the renew queues. */
  constructor(parts: RouterParts<Socket>) {
    this.#parts = parts;
  }

  /**
   * Adds a task; a renewal goes to the queue of the certificate's responder.
   *
   * @param queue The stage.
   * @param path The certificate file.
   * @param when A delay or a time.
   */
  add(queue: Queue, path: string, when: { delay?: number; at?: number } = {}): void {
    const { scheduler, table } = this.#parts;
    let name: string = queue;
    const entry = queue === "renew" ? table.entries.get(path) : undefined;
    if (entry) {
      name = this.#parts.queueOf(entry);
      const before = entry.renewQueue;
      if (before !== undefined && before !== name) {
        const stale = scheduler.pendingTask(before, path);
        if (stale) scheduler.cancel(stale);
      }
      entry.renewQueue = name;
    }
    scheduler.add({ queue: name, subject: path, payload: null, ...when });
  }

  /**
   * Adds a queue. Its handler gets the task's certificate entry (a task of
   * a certificate no longer known is dropped, except on `scan`).
   *
   * @param queue The queue's name.
   * @param concurrency Handlers running at once; for a responder's renew
   *   queue, `-t`, its requests in flight (the pool's bound): it runs
   *   `responderQueueSlots(concurrency)` handlers, so answered renewals are
   *   checked and written while the next requests are out.
   * @param handler Runs one task.
   */
  addQueue(
    queue: string,
    concurrency: number,
    handler: (task: Task<null>, entry?: CertEntry) => Promise<void>,
  ): void {
    this.#parts.scheduler.addQueue(queue, {
      concurrency: isResponderQueue(queue) ? responderQueueSlots(concurrency) : concurrency,
      handler: async (task) => {
        this.#running++;
        try {
          const entry = this.#parts.table.entries.get(String(task.subject));
          if (queue !== "scan" && !entry) return;
          await handler(task, entry);
        } finally {
          this.#running--;
          if (this.#running === 0) { for (const wake of this.#idleWaiters.splice(0)) wake(); }
        }
      },
    });
  }

  /**
   * Resolves once no task is running or due and no push is in flight.
   */
  async idle(): Promise<void> {
    const { settlement } = this.#parts;
    for (;;) {
      if (this.#running > 0) {
        await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
        continue;
      }
      if (settlement.pushing > 0) {
        await settlement.pushesEnded();
        continue;
      }
      // One macrotask: the scheduler's pumps (microtasks) start what is due.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.#running === 0 && settlement.pushing === 0 && !this.#busy()) return;
    }
  }

  #busy(): boolean {
    return ["scan", "parse", ...this.#parts.renewQueues()].some((q) => {
      const s = this.#parts.scheduler.stats(q);
      return s.waiting > 0 || s.running > 0;
    });
  }
}
