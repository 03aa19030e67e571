/**
 * Runs code with stapled's log set up at debug level and captured, for tests
 * that check what was logged.
 *
 * @module
 */
import { setupLogging, shutdownLogging } from "../../src/log/mod.ts";

const NO_ENV = { get: () => undefined };

/**
 * Runs `fn` with stapled's log captured.
 *
 * @param fn The code under test.
 * @returns Its value and the log lines, without timestamps (`LEVEL    message`).
 */
export async function captureLog<T>(fn: () => Promise<T>): Promise<{ lines: string[]; value: T }> {
  const lines: string[] = [];
  await setupLogging({
    verbosity: 4,
    env: NO_ENV,
    writeStderr: (line) => lines.push(line.replace(/^\S+ /, "").trimEnd()),
  });
  try {
    return { lines, value: await fn() };
  } finally {
    await shutdownLogging();
  }
}
