/**
 * Run by `syslog_sink_test.ts` in a child Deno with `--unstable-net` (unix
 * datagrams are unstable in Deno 2): logs through stapled's syslog sink and
 * prints what arrived as JSON on stdout.
 *
 * Usage: `deno run --unstable-net --allow-all _syslog_fixture.ts receive <socket>`
 * listens on `<socket>` and prints the datagrams received;
 * `... send <socket>` only sends (to a listener the test started) and prints `[]`;
 * `... missing <socket>` logs to a socket nobody listens on and prints the
 * stderr lines.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { setupLogging, shutdownLogging } from "../../src/log/mod.ts";

interface Receiver {
  receive(): Promise<[Uint8Array, unknown]>;
  close(): void;
}
type Listen = (options: { transport: "unixpacket"; path: string }) => Receiver;

const [mode, path] = Deno.args;
const logger = getLogger(["stapled", "fixture"]);

if (mode === "send") {
  await setupLogging({ quiet: true, syslog: true, syslogPath: path, syslogFacility: "local3" });
  logger.error("Cannot reach {url}", { url: "http://ocsp.example", cert: "/etc/ssl/b.pem" });
  logger.info("Done");
  await shutdownLogging();
  console.log("[]");
} else if (mode === "receive") {
  const listen = (Deno as unknown as { listenDatagram: Listen }).listenDatagram;
  const receiver = listen({ transport: "unixpacket", path });
  await setupLogging({ quiet: true, syslog: true, syslogPath: path, verbosity: 4 });
  logger.info("Renewed the staple", { cert: "/etc/ssl/a.pem" });
  logger.warn("Responder slow");
  logger.fatal("Out of {what}", { what: "disk" });
  logger.debug("Detail");
  await shutdownLogging();
  const received: string[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < 4; i++) received.push(decoder.decode((await receiver.receive())[0]));
  receiver.close();
  console.log(JSON.stringify(received));
} else {
  const lines: string[] = [];
  await setupLogging({
    syslog: true,
    syslogPath: path,
    env: { get: () => undefined },
    writeStderr: (line) => lines.push(line),
  });
  logger.info("one");
  logger.info("two");
  await shutdownLogging();
  console.log(JSON.stringify(lines));
}
