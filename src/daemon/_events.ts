/**
 * A small typed event emitter: the engine's only way to tell the modes
 * what happened. A listener that throws is logged and does not stop the
 * engine, nor the other listeners.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { describeError } from "../errors/mod.ts";

const log = getLogger(["stapled", "daemon"]);

/** Listeners by event name; `Events` maps each name to its value's type. */
export class Emitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<(value: never) => void>>();

  /**
   * Subscribes to an event.
   *
   * @param name The event.
   * @param listener Called with each value, synchronously.
   * @returns A function that unsubscribes.
   */
  on<K extends keyof Events>(name: K, listener: (value: Events[K]) => void): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, set = new Set());
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  /** Whether anyone listens to `name`. */
  has(name: keyof Events): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  /**
   * Calls every listener of `name` with `value`.
   *
   * @param name The event.
   * @param value Its value.
   */
  emit<K extends keyof Events>(name: K, value: Events[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as (value: Events[K]) => void)(value);
      } catch (err) {
        log.error("a {event} listener failed: {error}", {
          event: String(name),
          error: describeError(err),
        });
      }
    }
  }
}
