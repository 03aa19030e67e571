/**
 * The daemon: the engine in daemon mode, run for ever. A `scan` task finds
 * new, changed and removed certificate files every refresh interval (and
 * soon after a file system event); a `parse` task reads each new or changed
 * file once; a `renew` task keeps its staple fresh and hands it to the
 * sink. Failures are retried by the table in `policy.ts`; an idle daemon has
 * one timer armed and does nothing until it fires. Signals and reloads are
 * in `lifecycle.ts`.
 *
 * @module
 */
import { Engine } from "./engine.ts";
import type { EngineOptions } from "./types.ts";

/** Options of {@linkcode Daemon}: the engine's, without the mode. */
export type DaemonOptions<Socket = unknown> = Omit<EngineOptions<Socket>, "mode">;

/**
 * The long-running stapler. `start()` begins scanning; `stop()` stops
 * scheduling, lets running tasks finish (at most 5 s) and closes the sink.
 *
 * @example Staple a directory until stopped
 * ```ts
 * import { Daemon } from "./daemon.ts";
 * const dir = await Deno.makeTempDir();
 * const daemon = new Daemon({ sources: [{ paths: [dir] }], watch: false });
 * daemon.on("outcome", (o) => console.log(o.path, o.status));
 * await daemon.start();
 * await daemon.idle(); // the first scan found nothing
 * console.assert(daemon.stats.scans === 1 && daemon.scheduler.timerArmed);
 * await daemon.stop();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Daemon<Socket = unknown> extends Engine<Socket> {
  /** @param options Sources, sink, store, clock, settings. */
  constructor(options: DaemonOptions<Socket>) {
    super({ ...options, mode: "daemon" });
  }
}
