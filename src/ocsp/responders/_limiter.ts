/**
 * A FIFO counting semaphore whose limit can be lowered while in use, and
 * whose waiters can be cancelled.
 *
 * @module
 */

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
}

/** Bounds how many requests to one responder are in flight; the rest queue. */
export class Limiter {
  #limit: number;
  #active = 0;
  #queue: Waiter[] = [];

  /** @param limit The number in flight at most. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The number in flight at most. */
  get limit(): number {
    return this.#limit;
  }

  set limit(limit: number) {
    this.#limit = limit;
    this.#drain();
  }

  /** In flight now. */
  get active(): number {
    return this.#active;
  }

  /** Waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Waits for a slot.
   *
   * @param signal Stops waiting (rejects with its reason).
   * @returns A promise settling once a slot is held; `release()` it after.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#active < this.#limit && this.#queue.length === 0) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Gives a slot back. */
  release(): void {
    this.#active--;
    this.#drain();
  }

  /**
   * Rejects every waiter.
   *
   * @param reason Why.
   */
  rejectAll(reason: unknown): void {
    for (const waiter of this.#queue.splice(0)) waiter.reject(reason);
  }

  #drain(): void {
    while (this.#active < this.#limit && this.#queue.length > 0) {
      this.#active++;
      this.#queue.shift()!.resolve();
    }
  }
}
