/**
 * The one place changed staples are batched for `--on-update`: collected
 * and handed over after `quietMs` without changes (daemon), or all at once
 * when a one-off run ends. One timer at most, on the engine's clock.
 *
 * @module
 */
import type { Clock } from "../scheduler/mod.ts";

/** Collects changed certificate paths and hands them over in batches. */
export class UpdateBatcher {
  #clock: Clock;
  #quietMs: number;
  #emit: (paths: string[]) => void;
  #changed = new Set<string>();
  #timer: unknown;

  /**
   * @param clock Where the quiet time is measured.
   * @param quietMs Hand over a batch this long after its last change; `Infinity`: only on {@linkcode flush}.
   * @param emit Receives each batch.
   */
  constructor(clock: Clock, quietMs: number, emit: (paths: string[]) => void) {
    this.#clock = clock;
    this.#quietMs = quietMs;
    this.#emit = emit;
  }

  /** Notes that the staple of `path` changed. */
  add(path: string): void {
    this.#changed.add(path);
    if (!Number.isFinite(this.#quietMs)) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => this.flush(), this.#quietMs);
  }

  /**
   * Hands over what was collected, now.
   *
   * @param order Sorts the batch (e.g. in discovery order).
   */
  flush(order?: (paths: string[]) => string[]): void {
    this.cancel();
    if (this.#changed.size === 0) return;
    const batch = [...this.#changed];
    this.#changed.clear();
    this.#emit(order ? order(batch) : batch);
  }

  /** Drops the timer (and nothing else). */
  cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
