/**
 * A real HAProxy (2.6, and 3.0 when installed at /opt/haproxy3) with its
 * default `ssl-load-extra-files all` and certificates whose issuer is not in
 * the bundle and that had no `.ocsp` when HAProxy started. HAProxy reads
 * `<crt>.issuer` only along with a `.ocsp` it loads at startup, so a
 * `set ssl cert <crt>.ocsp` + `commit` alone fails ("impossible to compute
 * the OCSP certificate ID"); the push must set `<crt>.issuer` in the same
 * transaction, and the staple is then served.
 */
import assert from "node:assert/strict";
import { type Issued, TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { buildOcspResponse } from "../../scripts/lib/ocsp_responder.ts";
import { hasOcsp, parseBundle } from "../../src/certs/mod.ts";
import { certIdFor } from "../../src/ocsp/mod.ts";
import {
  HaproxyAdder,
  type HaproxySocketAddress,
  type PushResult,
} from "../../src/haproxy/runtime/mod.ts";
import { HAPROXY_BINARIES, servedStaple, startHaproxy } from "../_helpers/haproxy.ts";
import { hasCommand } from "../_helpers/net.ts";

const haveTools = HAPROXY_BINARIES.length > 0 && await hasCommand("openssl");

/** A good staple for the leaf in `path`, whose issuer stapled finds at `issuerFile`. */
async function stapleFor(path: string, issuerFile: string, ca: TestCa): Promise<Uint8Array> {
  const bundle = await parseBundle(path, await Deno.readFile(path), { issuerFile });
  assert.ok(hasOcsp(bundle));
  assert.equal(bundle.issuerSource, "issuer-file");
  const certId = await certIdFor(bundle.issuer, bundle.leaf.serial);
  const now = Math.floor(Date.now() / 1000) * 1000; // whole seconds, for HAProxy 3.0
  return await buildOcspResponse({
    signer: ca,
    producedAt: new Date(now),
    singles: [{
      certId,
      thisUpdate: new Date(now - 3_600_000),
      nextUpdate: new Date(now + 86_400_000),
    }],
  });
}

function assertCommitted(result: PushResult): void {
  assert.ok(result.ok, String(!result.ok && result.error));
  assert.equal(result.outcome, "committed");
}

Deno.test({
  name:
    "a certificate whose issuer is only in an .issuer file and that had no .ocsp at startup is bootstrapped and stapled",
  ignore: !haveTools,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const root = await TestCa.root("Bootstrap Issuer Root");
  const ca = await root.intermediate("Bootstrap Issuer CA");
  const leaf = (name: string): Promise<Issued> =>
    ca.leaf(`${name}.bootstrap.test`, { ocspUrls: ["http://127.0.0.1:9/"] });

  for (const binary of HAPROXY_BINARIES) {
    await t.step(
      `${binary}: <crt>.issuer beside the bundle, and an issuer file named by the caller`,
      async () => {
        const dir = await Deno.makeTempDir({ prefix: "stapled-bootstrap-issuer-" });
        const beside = `${dir}/beside.pem`;
        await writeBundle(beside, await leaf("beside"), []);
        await Deno.writeTextFile(`${beside}.issuer`, ca.pem);
        const named = `${dir}/named.pem`;
        await writeBundle(named, await leaf("named"), []);
        await Deno.mkdir(`${dir}/ca`);
        await Deno.writeTextFile(`${dir}/ca/issuing.pem`, root.pem + ca.pem);
        const staples = {
          beside: await stapleFor(beside, `${beside}.issuer`, ca),
          named: await stapleFor(named, `${dir}/ca/issuing.pem`, ca),
        };
        const haproxy = await startHaproxy({ dir, crts: [beside, named], binary });
        const socket: HaproxySocketAddress = { transport: "unix", path: haproxy.socketPath };
        const adder = new HaproxyAdder({ onResult: () => {} });
        try {
          assert.equal(
            (await servedStaple(haproxy.tlsPort, "beside.bootstrap.test")).certStatus,
            undefined,
          );
          const [first] = await adder.push(beside, staples.beside, [socket]);
          assertCommitted(first);
          const [second] = await adder.push(named, staples.named, [socket], {
            issuerFile: `${dir}/ca/issuing.pem`,
          });
          assertCommitted(second);
          for (const name of ["beside", "named"]) {
            const served = await servedStaple(haproxy.tlsPort, `${name}.bootstrap.test`);
            assert.equal(served.certStatus, "good", `${name}: ${served.text.slice(0, 400)}`);
          }
        } finally {
          await adder.close();
          await haproxy.stop();
          await Deno.remove(dir, { recursive: true });
        }
      },
    );

    await t.step(`${binary}: ssl-load-extra-del-ext, the issuer in <base>.issuer`, async () => {
      const dir = await Deno.makeTempDir({ prefix: "stapled-bootstrap-issuer-" });
      const path = `${dir}/site.crt`;
      await writeBundle(path, await leaf("del-ext"), []);
      await Deno.writeTextFile(`${dir}/site.issuer`, ca.pem);
      const staple = await stapleFor(path, `${dir}/site.issuer`, ca);
      const haproxy = await startHaproxy({
        dir,
        crts: [path],
        binary,
        globalLines: ["ssl-load-extra-del-ext"],
      });
      const adder = new HaproxyAdder({ onResult: () => {} });
      try {
        const [result] = await adder.push(path, staple, [{
          transport: "unix",
          path: haproxy.socketPath,
        }]);
        assertCommitted(result);
        const served = await servedStaple(haproxy.tlsPort, "del-ext.bootstrap.test");
        assert.equal(served.certStatus, "good", served.text.slice(0, 400));
      } finally {
        await adder.close();
        await haproxy.stop();
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});
