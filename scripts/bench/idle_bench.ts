/**
 * An idle daemon: 1,000 certificates loaded and stapled, then two refresh
 * intervals (60 s each, the default; `--quick`: 200 certificates, one
 * window of 20 s with `-r 20`) with nothing due but the periodic rescan, so
 * each window holds exactly one rescan. The first window starts as soon as
 * the last staple is logged; the second shows the steady state. Measures the CPU time used in that window (utime + stime of
 * /proc/<pid>/stat) in each window, the voluntary context switches of all its threads
 * (each is a thread going to sleep, so a wakeup follows: a proxy for
 * wakeups), and its RSS.
 *
 * @module
 */
import { startStapledDaemon } from "./daemon_run.ts";
import { cpuSeconds, procMemory, switchDelta, threadSwitches } from "./proc.ts";
import { atMost, type Benchmark, type Row } from "./types.ts";

const MIB = 2 ** 20;

/** The idle daemon benchmark. */
export const idleBenchmark: Benchmark = {
  name: "idle",
  title: "CPU and wakeups of an idle daemon holding 1,000 stapled certificates",
  async run(ctx) {
    const count = ctx.quick ? 200 : 1_000;
    const windowS = ctx.quick ? 20 : 60;
    const windows = ctx.quick ? 1 : 2;
    const dir = await ctx.bundleDir(count);
    const daemon = await startStapledDaemon(ctx, dir, count, ["-r", String(windowS)]);
    try {
      ctx.progress(
        `daemon stapled ${count} certificates in ${
          (daemon.readyMs / 1000).toFixed(1)
        } s; now idle for ${windows} x ${windowS} s`,
      );
      const bench = "idle";
      const n = count.toLocaleString("en-US");
      const rows: Row[] = [{
        bench,
        metric: `daemon start to ${n} certificates stapled (-t 2)`,
        value: daemon.readyMs / 1000,
        unit: "s",
        digits: 1,
      }];
      for (let window = 1; window <= windows; window++) {
        const lines0 = daemon.logLines;
        const cpu0 = await cpuSeconds(daemon.pid);
        const switches0 = await threadSwitches(daemon.pid);
        await new Promise((resolve) => setTimeout(resolve, windowS * 1000));
        const cpu1 = await cpuSeconds(daemon.pid);
        const switches = switchDelta(switches0, await threadSwitches(daemon.pid));
        const which = window === 1 ? "first" : "second";
        const ended = switches.ended ? `, ${switches.ended} ended` : "";
        rows.push(
          {
            bench,
            metric: `${which} ${windowS} s idle (-r ${windowS}: 1 rescan): CPU time`,
            value: cpu1 - cpu0,
            unit: "CPU-s",
            digits: 2,
            target: windowS === 60 ? atMost(0.5) : undefined,
          },
          {
            bench,
            metric: `  voluntary context switches (${switches.threads} threads${ended})`,
            value: switches.voluntary,
            unit: "",
          },
          {
            bench,
            metric: "  involuntary context switches",
            value: switches.nonvoluntary,
            unit: "",
          },
          { bench, metric: "  log lines", value: daemon.logLines - lines0, unit: "" },
        );
      }
      const memory = await procMemory(daemon.pid);
      rows.push({
        bench,
        metric: "RSS after the idle windows",
        value: memory.rss / MIB,
        unit: "MiB",
        digits: 1,
      });
      return rows;
    } finally {
      await daemon.stop();
    }
  },
};
