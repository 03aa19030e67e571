/**
 * Result lines to standard output, batched: a one-off over 10,000
 * certificates prints 10,000 lines, and one write per line cost more than
 * deciding most of them. Lines are written when 64 KiB are pending, 100 ms
 * after the first pending one, and at `flush()`.
 *
 * @module
 */

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;

/** Batches lines to a writer (standard output by default). */
export class LineWriter {
  #pending: string[] = [];
  #size = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #write: (bytes: Uint8Array) => number;

  /** @param write Writes some bytes, returning how many. @default Deno.stdout.writeSync */
  constructor(write: (bytes: Uint8Array) => number = (b) => Deno.stdout.writeSync(b)) {
    this.#write = write;
  }

  /**
   * Queues one line (without its newline).
   *
   * @param line The line.
   */
  line(line: string): void {
    this.#pending.push(line);
    this.#size += line.length + 1;
    if (this.#size >= FLUSH_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /**
   * Writes every pending line now.
   *
   * @example
   * ```ts
   * import { LineWriter } from "./_lines.ts";
   * const out: string[] = [];
   * const w = new LineWriter((b) => (out.push(new TextDecoder().decode(b)), b.length));
   * w.line("a");
   * w.line("b");
   * w.flush();
   * console.assert(out.join("") === "a\nb\n");
   * ```
   */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const bytes = new TextEncoder().encode(this.#pending.join("\n") + "\n");
    this.#pending = [];
    this.#size = 0;
    for (let at = 0; at < bytes.length;) at += this.#write(bytes.subarray(at));
  }
}
