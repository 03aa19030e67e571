/**
 * The shared {@linkcode FakeClock} (tests/_helpers/fake_clock.ts) with two
 * things the runtime client's tests need on top, kept here so the shared
 * helper's API stays as it is: the delays of the armed timers, and a promise
 * for the next timer armed with a given delay (the client arms its timers
 * after real socket I/O, which the fake clock's settling does not wait for).
 *
 * @module
 */
import type { Clock } from "../../../src/scheduler/clock.ts";
import { FakeClock } from "../../_helpers/fake_clock.ts";

interface Armed {
  at: number;
  delay: number;
}

/** A {@linkcode Clock} on a {@linkcode FakeClock} that tells which timers are armed. */
export class WatchedClock implements Clock {
  /** The fake clock underneath; time moves only by {@linkcode WatchedClock.advance}. */
  readonly fake: FakeClock = new FakeClock();
  #armed = new Map<unknown, Armed>();
  #waiters: Array<{ accept: (delay: number) => boolean; resolve: (delay: number) => void }> = [];

  /** @returns The fake time. */
  now(): number {
    return this.fake.now();
  }

  /**
   * Arms a timer on the fake clock, and resolves the first waiter that accepts its delay.
   *
   * @param cb What to call.
   * @param ms The delay.
   * @returns The handle.
   */
  setTimeout(cb: () => void, ms: number): unknown {
    const handle: unknown = this.fake.setTimeout(() => {
      this.#armed.delete(handle);
      cb();
    }, ms);
    this.#armed.set(handle, { at: this.fake.now() + ms, delay: ms });
    const index = this.#waiters.findIndex((waiter) => waiter.accept(ms));
    if (index >= 0) this.#waiters.splice(index, 1)[0].resolve(ms);
    return handle;
  }

  /** @param handle A handle from {@linkcode WatchedClock.setTimeout}. */
  clearTimeout(handle: unknown): void {
    this.#armed.delete(handle);
    this.fake.clearTimeout(handle);
  }

  /** @returns The delays of the armed timers, soonest first. */
  pending(): number[] {
    return [...this.#armed.values()].sort((a, b) => a.at - b.at).map((timer) => timer.delay);
  }

  /**
   * @param accept Which delays count.
   * @returns The delay of the next timer armed from now on that `accept` takes.
   */
  nextTimer(accept: (delay: number) => boolean = () => true): Promise<number> {
    return new Promise((resolve) => this.#waiters.push({ accept, resolve }));
  }

  /**
   * Moves the fake time on, firing what falls due ({@linkcode FakeClock.advance}).
   *
   * @param ms How far.
   * @returns When the due timers have fired and promise chains settled.
   */
  advance(ms: number): Promise<void> {
    return this.fake.advance(ms);
  }
}
