/**
 * Waiting, in real time, for something a test expects to happen.
 *
 * @module
 */

/**
 * Polls `cond` until it holds.
 *
 * @param cond The condition.
 * @param what What is awaited, for the error.
 * @param timeoutMs Give up after this long. @default 10000
 * @throws {Error} When it does not hold in time.
 */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
