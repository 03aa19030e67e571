/**
 * The `.issuer` step of a bootstrap transaction, byte for byte against the
 * in-process fake CLI: which issuer is sent (only the CA that issued the
 * leaf, re-encoded as plain PEM), and when none is (the bundle's chain holds
 * it). The real HAProxy side is tests/e2e/haproxy_bootstrap_issuer_test.ts.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../../scripts/lib/pki.ts";
import { StapleAdderBadResponse } from "../../../src/errors/mod.ts";
import { HaproxyRuntimeClient } from "../../../src/haproxy/runtime/mod.ts";
import { WatchedClock } from "./_watched_clock.ts";
import { type FakeHaproxy, startFakeHaproxy } from "./_fake_haproxy.ts";

const UNKNOWN =
  "+ + OCSP single response: Certificate ID does not match any certificate or issuer.\n";

const root = await TestCa.root("Issuer Step Root");
const ca = await root.intermediate("Issuer Step CA");
const leaf = await ca.leaf("issuer-step.test", { ocspUrls: ["http://127.0.0.1:9/"] });
const DER = new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]); // "MAMKAQA="

/**
 * A fake HAProxy that does not know the certificate in `path` (no `.ocsp` at
 * startup), answering each payload-ending empty line with the next of
 * `payloadReplies` (`PATH` in them is the certificate's path).
 */
async function withBootstrap(
  setup: (dir: string) => Promise<string>,
  payloadReplies: string[],
  fn: (fake: FakeHaproxy, client: HaproxyRuntimeClient, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stapled-issuer-" });
  const path = await setup(dir);
  const replies = [UNKNOWN, ...payloadReplies];
  const fake = startFakeHaproxy(dir, async (line, reply) => {
    if (line === "") await reply((replies.shift() ?? "").replaceAll("PATH", path));
    if (line === "show ssl cert") await reply(`# filename\n${path}\n`);
    if (line.startsWith("commit ssl cert ")) await reply(`Committing ${path}.\nSuccess!\n`);
    if (line.startsWith("abort ssl cert ")) {
      await reply(`Transaction aborted for certificate '${path}'!\n`);
    }
  });
  const client = new HaproxyRuntimeClient({ transport: "unix", path: fake.path }, {
    clock: new WatchedClock(),
  });
  try {
    await fn(fake, client, path);
  } finally {
    await client.close();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The PEM lines of `ca`, as sent in a payload. */
function payloadOf(cert: TestCa): string {
  return cert.pem.trimEnd();
}

Deno.test("a bootstrap for a bundle without its chain sets <crt>.issuer before <crt>.ocsp, byte for byte", async () => {
  await withBootstrap(
    async (dir) => {
      const path = `${dir}/site.pem`;
      await writeBundle(path, leaf, []);
      // The root, a comment and blank lines too: only the leaf's issuer is sent.
      await Deno.writeTextFile(`${path}.issuer`, `${root.pem}\n# issuing CA\n\n${ca.pem}\n`);
      return path;
    },
    [
      "+ + + + + + + + + + + + Transaction created for certificate PATH!\n",
      "+ + Transaction updated for certificate PATH!\n",
      "+ + OCSP Response updated!\n",
    ],
    async (fake, client, path) => {
      assert.equal(await client.setOcspResponse(path, DER), "committed");
      assert.equal(
        fake.received(),
        "prompt\nset timeout cli 86400\nset ssl ocsp-response <<\nMAMKAQA=\n\nshow ssl cert\n" +
          `set ssl cert ${path}.issuer <<\n${payloadOf(ca)}\n\n` +
          `set ssl cert ${path}.ocsp <<\nMAMKAQA=\n\n` +
          `commit ssl cert ${path}\nset ssl ocsp-response <<\nMAMKAQA=\n\n`,
      );
    },
  );
});

Deno.test("a bundle whose chain holds the issuer gets no .issuer in the transaction, even with an .issuer file", async () => {
  await withBootstrap(
    async (dir) => {
      const path = `${dir}/site.pem`;
      await writeBundle(path, leaf, [ca]);
      await Deno.writeTextFile(`${path}.issuer`, ca.pem);
      return path;
    },
    ["+ + Transaction created for certificate PATH!\n", "+ + OCSP Response updated!\n"],
    async (fake, client, path) => {
      assert.equal(await client.setOcspResponse(path, DER), "committed");
      assert.doesNotMatch(fake.received(), /\.issuer/);
      assert.match(fake.received(), new RegExp(`show ssl cert\nset ssl cert ${path}\\.ocsp <<\n`));
    },
  );
});

Deno.test("an issuerPem given to setOcspResponse() is sent for a bundle without its chain, and a refused .ocsp aborts the transaction", async () => {
  await withBootstrap(
    async (dir) => {
      const path = `${dir}/site.pem`;
      await writeBundle(path, leaf, []); // no .issuer file beside it
      return path;
    },
    [
      "+ + Transaction created for certificate PATH!\n",
      "+ + Transaction updated for certificate /other.pem!\n",
    ],
    async (fake, client, path) => {
      await assert.rejects(
        client.setOcspResponse(path, DER, { issuerPem: `${root.pem}${ca.pem}` }),
        new StapleAdderBadResponse(path, "Transaction updated for certificate /other.pem!"),
      );
      assert.match(
        fake.received(),
        new RegExp(
          `set ssl cert ${path}\\.issuer <<\n${
            payloadOf(ca).replace(/[+/]/g, "\\$&")
          }\n\nset ssl cert ${path}\\.ocsp <<\nMAMKAQA=\n\nabort ssl cert ${path}\n$`,
        ),
      );
    },
  );
});

Deno.test("an issuerFile given to setOcspResponse() replaces the default <crt>.issuer", async () => {
  await withBootstrap(
    async (dir) => {
      const path = `${dir}/site.crt`;
      await writeBundle(path, leaf, []);
      await Deno.writeTextFile(`${dir}/site.issuer`, root.pem); // not the issuer: never sent
      await Deno.writeTextFile(`${dir}/ca.pem`, ca.pem);
      return path;
    },
    [
      "+ + Transaction created for certificate PATH!\n",
      "+ + Transaction updated for certificate PATH!\n",
      "+ + OCSP Response updated!\n",
    ],
    async (fake, client, path) => {
      const dir = path.slice(0, path.lastIndexOf("/"));
      assert.equal(
        await client.setOcspResponse(path, DER, { issuerFile: `${dir}/ca.pem` }),
        "committed",
      );
      assert.ok(fake.received().includes(`${path}.issuer <<\n${payloadOf(ca)}\n\n`));
    },
  );
});
