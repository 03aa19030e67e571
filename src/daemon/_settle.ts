/**
 * How a one-off or check run knows it is done: the scan ended, every
 * certificate it found settled (its first parse or renewal outcome), and
 * the pushes made meanwhile ended.
 *
 * @module
 */

/** The bookkeeping of a run that ends. */
export class Settlement {
  #unsettled = new Set<string>();
  #pushes = new Set<Promise<unknown>>();
  #scanned = false;
  #resolve!: () => void;
  /** Resolves once the scan ended and every certificate settled. */
  readonly settled: Promise<void> = new Promise((resolve) => this.#resolve = resolve);

  /** A certificate to settle. */
  add(path: string): void {
    this.#unsettled.add(path);
  }

  /** A certificate settled (or was forgotten). */
  settle(path: string): void {
    this.#unsettled.delete(path);
    this.#check();
  }

  /** The scan ended: no more certificates come. */
  scanned(): void {
    this.#scanned = true;
    this.#check();
  }

  /** A push to wait for before the run ends. */
  track(push: Promise<unknown>): void {
    this.#pushes.add(push);
    push.finally(() => this.#pushes.delete(push));
  }

  /** Pushes in flight. */
  get pushing(): number {
    return this.#pushes.size;
  }

  /** Resolves once the pushes in flight now have ended. */
  pushesEnded(): Promise<unknown> {
    return Promise.all(this.#pushes);
  }

  #check(): void {
    if (this.#scanned && this.#unsettled.size === 0) this.#resolve();
  }
}
