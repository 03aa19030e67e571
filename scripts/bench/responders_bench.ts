/**
 * Responders as they are in the world (issue 10), end to end with
 * `main.ts` in a child process:
 *
 * - a far responder: 50 ms round-trip time, one per new connection and one
 *   per request, serving any number of requests at once with keep-alive;
 *   1,000 certificates one-off at `-t 2` and `-t 16`, against the floor
 *   N x RTT / t (target: within 1.3 x), each from a fresh state directory;
 *   then `-t 16` once more as a renewal round (the same state directory,
 *   the staples removed: the certificates are known, their staples due).
 *   The leaves name the bench's shared responder;
 *   `--ocsp-responder-override` sends their requests to the far one.
 * - a dead CA: 200 certificates of a responder that accepts connections and
 *   never answers, listed before 10 of a healthy CA, default settings: the
 *   daemon staples the 10 while the dead CA waits (target: within 10 s), and
 *   a one-off ends (target: within 60 s).
 *
 * @module
 */
import { OCSPResponseStatus } from "@peculiar/asn1-ocsp";
import { toHex } from "../../src/certs/parsed_cert.ts";
import {
  ocspHttpResponse,
  parseHttpOcspRequest,
  statusOnlyResponse,
} from "../lib/ocsp_responder.ts";
import { eachLine, runStapledToExit, spawnStapled } from "./child.ts";
import { atMost, type Benchmark, type Row } from "./types.ts";

const RTT_MS = 50;

/** A responder `RTT_MS` away: a new connection costs one round trip, each request one. */
function startFarResponder(table: ReadonlyMap<string, Uint8Array>) {
  const connections = new Set<number>();
  let requests = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req, info) => {
      const port = info.remoteAddr.port;
      const fresh = !connections.has(port);
      connections.add(port);
      requests++;
      const parsed = await parseHttpOcspRequest(req);
      await new Promise((r) => setTimeout(r, fresh ? 2 * RTT_MS : RTT_MS));
      const der = parsed?.certIds.length === 1
        ? table.get(toHex(parsed.certIds[0].serialNumber))
        : undefined;
      return ocspHttpResponse(der ?? statusOnlyResponse(OCSPResponseStatus.unauthorized));
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    get connections() {
      return connections.size;
    },
    get requests() {
      return requests;
    },
    close: () => server.shutdown(),
  };
}

/** A responder that accepts connections, reads, and never answers. */
function startDeadResponder() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let accepted = 0;
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        open.add(conn);
        (async () => {
          const buf = new Uint8Array(4096);
          try {
            while (await conn.read(buf) !== null) { /* hold */ }
          } catch { /* closed */ }
          open.delete(conn);
          try {
            conn.close();
          } catch { /* closed */ }
        })();
      }
    } catch { /* closed */ }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    get accepted() {
      return accepted;
    },
    async close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await accepting;
    },
  };
}

/** The responders benchmark. */
export const respondersBenchmark: Benchmark = {
  name: "responders",
  title: "far (50 ms RTT) and dead responders, one-off and daemon, end to end",
  async run(ctx) {
    const rows: Row[] = [];
    const bench = "responders";
    const home = await ctx.tempDir("home");
    await runStapledToExit(["--help"], { home }); // compiles the modules into Deno's cache
    const pki = await ctx.pki();

    // --- far responder ------------------------------------------------
    const count = ctx.quick ? 200 : 1_000;
    const dir = await ctx.bundleDir(count);
    const leaves = await ctx.leaves(count);
    const far = startFarResponder(await pki.responses(leaves));
    const shared = new URL(ctx.responder().url).host;
    // The third run is a renewal round: the same certificates again, known
    // from the run before (its state directory), their staples due (removed).
    const stateDir = await ctx.tempDir("far-state");
    const runs = [
      { threads: 2, state: await ctx.tempDir("far-state-2"), round: false },
      { threads: 16, state: stateDir, round: false },
      { threads: 16, state: stateDir, round: true },
    ];
    try {
      for (const { threads, state, round } of runs) {
        await ctx.removeStaples(dir);
        const before = { connections: far.connections, requests: far.requests };
        const run = await runStapledToExit([
          "--one-off",
          "-p",
          dir,
          "-t",
          String(threads),
          "--state-dir",
          state,
          "--ocsp-responder-override",
          `${shared}=${far.url}`,
        ], { home });
        const staples = await ctx.countStaples(dir);
        if (run.code !== 0 || staples !== count) {
          throw new Error(`Cannot measure the far responder: exit ${run.code}, ${staples} staples`);
        }
        const floor = count * RTT_MS / threads / 1000;
        const what = `${count.toLocaleString("en-US")} certs, 50 ms RTT, -t ${threads}${
          round ? ", renewal round (certificates known)" : ""
        }`;
        rows.push(
          { bench, metric: `${what}: wall time`, value: run.wallMs / 1000, unit: "s", digits: 1 },
          { bench, metric: "  floor N x RTT / t", value: floor, unit: "s", digits: 1 },
          {
            bench,
            metric: "  wall time / floor",
            value: run.wallMs / 1000 / floor,
            unit: "x",
            digits: 2,
            target: atMost(1.3),
          },
          {
            bench,
            metric: "  connections for its requests",
            value: far.connections - before.connections,
            unit: `for ${(far.requests - before.requests).toLocaleString("en-US")}`,
          },
        );
        ctx.progress(`far responder ${what} done in ${(run.wallMs / 1000).toFixed(1)} s`);
      }
    } finally {
      await far.close();
    }

    // --- dead CA --------------------------------------------------------
    const dead = startDeadResponder();
    try {
      const deadCount = ctx.quick ? 50 : 200;
      const liveCount = 10;
      const deadDir = await ctx.tempDir("dead-ca");
      // Made first, so their names sort (and are listed) first.
      await pki.writeBundles(deadDir, await pki.leaves(deadCount, dead.url));
      const live = await pki.leaves(liveCount, ctx.responder().url);
      ctx.responder().add(await pki.responses(live));
      await pki.writeBundles(deadDir, live);

      // Daemon: the live CA's certificates are stapled while the dead CA waits.
      const started = performance.now();
      const child = spawnStapled(["-p", deadDir], { home, stderr: "piped" });
      let stapled = 0;
      let liveMs = NaN;
      let done: () => void = () => {};
      const allLive = new Promise<void>((resolve) => (done = resolve));
      const reading = eachLine(child.stderr, (line) => {
        if (/staple fetched from/.test(line) && ++stapled === liveCount) {
          liveMs = performance.now() - started;
          done();
        }
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([allLive, new Promise((r) => (timer = setTimeout(r, 120_000)))]);
      clearTimeout(timer);
      const askedByDaemon = dead.accepted;
      child.kill("SIGTERM");
      await child.status;
      await reading;
      rows.push(
        {
          bench,
          metric: `daemon, ${deadCount} dead + ${liveCount} live: live CA all stapled after`,
          value: liveMs / 1000,
          unit: "s",
          digits: 1,
          target: atMost(10),
        },
        {
          bench,
          metric: "  connections to the dead responder by then",
          value: askedByDaemon,
          unit: "",
        },
      );
      ctx.progress(`dead CA daemon: live stapled after ${(liveMs / 1000).toFixed(1)} s`);

      // One-off: the dead CA costs (attempts until down) x timeout, not N x timeout / t.
      await ctx.removeStaples(deadDir);
      const accepted = dead.accepted;
      const run = await runStapledToExit(["--one-off", "-p", deadDir], { home });
      const staples = await ctx.countStaples(deadDir);
      if (run.code !== 1 || staples !== liveCount) {
        throw new Error(`Cannot measure the dead CA one-off: exit ${run.code}, ${staples} staples`);
      }
      rows.push(
        {
          bench,
          metric: `one-off, ${deadCount} dead + ${liveCount} live: wall time`,
          value: run.wallMs / 1000,
          unit: "s",
          digits: 1,
          target: atMost(60),
        },
        {
          bench,
          metric: "  connections to the dead responder",
          value: dead.accepted - accepted,
          unit: "",
        },
      );
      ctx.progress(`dead CA one-off done in ${(run.wallMs / 1000).toFixed(1)} s`);
    } finally {
      await dead.close();
    }
    return rows;
  },
};
