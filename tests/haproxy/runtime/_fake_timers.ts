/**
 * A fake clock for the runtime client's `timers` option: timers fire only
 * when the test advances time, and the test can wait for a timer to be set.
 *
 * @module
 */
import type { RuntimeTimers } from "../../../src/haproxy/runtime/mod.ts";

interface Timer {
  at: number;
  delay: number;
  callback: () => void;
}

/** Timers that run on {@link FakeTimers.tick}, never by themselves. */
export class FakeTimers implements RuntimeTimers {
  /** Fake milliseconds elapsed. */
  now = 0;
  #next = 1;
  #timers = new Map<number, Timer>();
  #waiters: Array<{ accept: (delay: number) => boolean; resolve: (delay: number) => void }> = [];

  /** Schedules `callback` at `now + ms`. */
  setTimeout(callback: () => void, ms: number): number {
    const id = this.#next++;
    this.#timers.set(id, { at: this.now + ms, delay: ms, callback });
    const index = this.#waiters.findIndex((waiter) => waiter.accept(ms));
    if (index >= 0) this.#waiters.splice(index, 1)[0].resolve(ms);
    return id;
  }

  /** Cancels a timer. */
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** The delays of the timers not yet fired, soonest first. */
  pending(): number[] {
    return [...this.#timers.values()].sort((a, b) => a.at - b.at).map((timer) => timer.delay);
  }

  /** Resolves with the delay of the next timer set from now on that `accept`s. */
  nextTimer(accept: (delay: number) => boolean = () => true): Promise<number> {
    return new Promise((resolve) => this.#waiters.push({ accept, resolve }));
  }

  /** Advances time by `ms`, firing every timer that falls due, in order. */
  tick(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) =>
        a[1].at - b[1].at
      );
      if (due.length === 0) break;
      const [id, timer] = due[0];
      this.#timers.delete(id);
      this.now = timer.at;
      timer.callback();
    }
    this.now = end;
  }
}
