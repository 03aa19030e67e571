/**
 * Collects a child process's output lines and waits for the ones a test
 * expects.
 *
 * @module
 */

/** The lines a stream produced so far, and a way to wait for more. */
export class Lines {
  /** Every line so far. */
  readonly lines: string[] = [];
  #waiters: Array<() => void> = [];
  /** Resolves when the stream ends. */
  readonly done: Promise<void>;

  /**
   * @param stream The byte stream to read (stdout or stderr of a child).
   * @param echo Also print each line (for debugging).
   */
  constructor(stream: ReadableStream<Uint8Array>, echo = false) {
    this.done = (async () => {
      let buffer = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        for (const line of parts) {
          if (echo) console.log(line);
          this.lines.push(line);
        }
        for (const w of this.#waiters.splice(0)) w();
      }
      if (buffer) this.lines.push(buffer);
      for (const w of this.#waiters.splice(0)) w();
    })();
  }

  /** How many lines so far match. */
  count(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(l)).length;
  }

  /**
   * Waits until `n` lines match `pattern`.
   *
   * @param pattern What to look for.
   * @param options How many, and for how long (real time).
   * @returns The matching lines.
   */
  async waitFor(
    pattern: RegExp,
    options: { count?: number; timeoutMs?: number } = {},
  ): Promise<string[]> {
    const { count = 1, timeoutMs = 20_000 } = options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.filter((l) => pattern.test(l));
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no ${count} line(s) matching ${pattern} within ${timeoutMs} ms; output:\n${
            this.lines.join("\n")
          }`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        timer = setTimeout(r, Math.min(left, 250));
      });
      clearTimeout(timer);
    }
  }
}
