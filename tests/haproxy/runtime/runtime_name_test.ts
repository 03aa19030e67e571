/**
 * pushStaple() with an explicit runtime name (a crt-store certificate's
 * `@<store>/<name>`, which no path matches): the bootstrap transaction names
 * it as given, and a name `show ssl cert` does not list is refused without a
 * transaction.
 */
import assert from "node:assert/strict";
import { pushStaple } from "../../../src/haproxy/runtime/_staple_push.ts";
import { StapleAdderBadResponse } from "../../../src/errors/mod.ts";

const DER = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]);
const UNKNOWN = "OCSP single response: Certificate ID does not match any certificate or issuer.";

/** A scripted CLI: replies by command, every command recorded. */
function cli(listing: string) {
  const sent: string[] = [];
  const send = (line: string) => {
    sent.push(line);
    if (line === "show ssl cert") return Promise.resolve(listing);
    if (line.startsWith("set ssl cert ")) {
      return Promise.resolve("Transaction created for certificate @web/k1.pem!");
    }
    if (line.startsWith("commit ssl cert ")) {
      return Promise.resolve("Committing @web/k1.pem\nSuccess!");
    }
    return Promise.resolve(
      sent.filter((l) => l === "set ssl ocsp-response").length > 1
        ? "OCSP Response updated!"
        : UNKNOWN,
    );
  };
  return { sent, send };
}

Deno.test("pushStaple() bootstraps a crt-store certificate under its runtime name", async () => {
  const { sent, send } = cli("# filename\n@web/k1.pem\n@web/k2.pem\n/etc/ssl/k3.pem\n");
  const outcome = await pushStaple(send, "/etc/haproxy/certs/k1.pem", DER, {
    realPath: () => Promise.reject(new Error("not called")),
    abortOpenTransaction: true,
    runtimeName: "@web/k1.pem",
  });
  assert.equal(outcome, "committed");
  assert.deepEqual(sent, [
    "set ssl ocsp-response",
    "show ssl cert",
    "set ssl cert @web/k1.pem.ocsp",
    "commit ssl cert @web/k1.pem",
    "set ssl ocsp-response",
  ]);
});

Deno.test("pushStaple() refuses a runtime name show ssl cert does not list, before any transaction", async () => {
  const { sent, send } = cli("# filename\n@web/k2.pem\n");
  await assert.rejects(
    pushStaple(send, "/etc/haproxy/certs/k1.pem", DER, {
      realPath: Deno.realPath,
      abortOpenTransaction: true,
      runtimeName: "@web/k1.pem",
    }),
    (err) =>
      err instanceof StapleAdderBadResponse &&
      err.message.endsWith(`${UNKNOWN} | 'show ssl cert' lists no certificate @web/k1.pem`),
  );
  assert.deepEqual(sent, ["set ssl ocsp-response", "show ssl cert"]);
});
