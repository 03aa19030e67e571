/**
 * One-off stapling end to end: main.ts run with the binary's permissions
 * against OpenSSL's real OCSP responder, with a PKI made by the test.
 */
import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../scripts/lib/pki.ts";
import { hasCommand } from "../_helpers/net.ts";
import { opensslResponder, opensslVerifyStaple } from "../_helpers/openssl_responder.ts";
import { runStapled } from "../_helpers/run_stapled.ts";
import { exists } from "../_helpers/fs.ts";

const haveOpenssl = await hasCommand("openssl");

Deno.test({
  name: "one-off stapling against OpenSSL's responder writes staples that openssl ocsp verifies",
  ignore: !haveOpenssl,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-e2e-" });
  const certs = `${dir}/certs`;
  await Deno.mkdir(certs);
  // An RSA PKI whose intermediate signs its own responses, and an ECDSA PKI
  // whose intermediate delegates to a responder certificate.
  const rsaRoot = await TestCa.root("E2E RSA Root", { key: "rsa" });
  const rsaCa = await rsaRoot.intermediate("E2E RSA Issuing CA", { key: "rsa" });
  const ecRoot = await TestCa.root("E2E EC Root", { key: "ec" });
  const ecCa = await ecRoot.intermediate("E2E EC Issuing CA", { key: "ec384" });
  const delegated = await ecCa.responder("E2E EC OCSP Responder");
  const noEku = await ecCa.responder("E2E EC responder without EKU", { ekus: [] });
  await Deno.mkdir(`${dir}/r1`);
  await Deno.mkdir(`${dir}/r2`);
  await Deno.mkdir(`${dir}/r3`);
  const rsaResponder = opensslResponder(`${dir}/r1`, rsaCa);
  const ecResponder = opensslResponder(`${dir}/r2`, ecCa, { signer: delegated });
  const badResponder = opensslResponder(`${dir}/r3`, ecCa, { signer: noEku });

  const good = await rsaCa.leaf("good.example.test", { ocspUrls: [rsaResponder.url] });
  const revoked = await rsaCa.leaf("revoked.example.test", { ocspUrls: [rsaResponder.url] });
  const unknown = await rsaCa.leaf("unknown.example.test", { ocspUrls: [rsaResponder.url] });
  const ecGood = await ecCa.leaf("ec.example.test", { ocspUrls: [ecResponder.url] });
  const badSigner = await ecCa.leaf("bad-signer.example.test", { ocspUrls: [badResponder.url] });
  const noUrl = await rsaCa.leaf("no-ocsp.example.test");
  await writeBundle(`${certs}/good.pem`, good, [rsaCa]);
  await writeBundle(`${certs}/revoked.pem`, revoked, [rsaCa]);
  await writeBundle(`${certs}/unknown.pem`, unknown, [rsaCa]);
  await writeBundle(`${certs}/ec.crt`, ecGood, []);
  await Deno.writeTextFile(`${certs}/ec.crt.issuer`, ecCa.pem);
  await writeBundle(`${certs}/bad-signer.pem`, badSigner, [ecCa]);
  await writeBundle(`${certs}/no-ocsp.pem`, noUrl, [rsaCa]);
  const orphan = await rsaCa.leaf("orphan.example.test", { ocspUrls: [rsaResponder.url] });
  await writeBundle(`${certs}/orphan.pem`, orphan, []);
  await Deno.writeTextFile(`${dir}/trust.pem`, rsaRoot.pem + rsaCa.pem + ecRoot.pem + ecCa.pem);
  await Deno.writeTextFile(`${dir}/rsa-ca.pem`, rsaCa.pem);
  await Deno.writeTextFile(`${dir}/ec-ca.pem`, ecCa.pem);

  await rsaResponder.writeIndex([
    { cert: good },
    { cert: orphan },
    { cert: revoked, status: "revoked", reason: "keyCompromise" },
  ]);
  await ecResponder.writeIndex([{ cert: ecGood }]);
  await badResponder.writeIndex([{ cert: badSigner }]);
  await Promise.all([rsaResponder.start(), ecResponder.start(), badResponder.start()]);
  try {
    const run = await runStapled(["--one-off", "-p", certs, "-q"]);
    const line = (name: string) =>
      run.stdout.split("\n").find((l) => l.startsWith(`${certs}/${name}:`)) ?? "";

    await t.step("good certificates get staples that openssl verifies as good", async () => {
      assert.match(line("good.pem"), /: good, valid until \d{4}-/);
      assert.match(line("ec.crt"), /: good, valid until/);
      for (const [name, issuer] of [["good.pem", "rsa-ca.pem"], ["ec.crt", "ec-ca.pem"]]) {
        await Deno.writeTextFile(
          `${dir}/leaf.pem`,
          (await Deno.readTextFile(`${certs}/${name}`)).split("-----END CERTIFICATE-----")[0] +
            "-----END CERTIFICATE-----\n",
        );
        const check = await opensslVerifyStaple(
          `${certs}/${name}.ocsp`,
          `${dir}/${issuer}`,
          `${dir}/leaf.pem`,
          `${dir}/trust.pem`,
        );
        assert.ok(check.ok, check.output);
        assert.match(check.output, /: good/);
      }
    });

    await t.step(
      "the revoked certificate's response is written, reported, and fails the run",
      async () => {
        assert.match(line("revoked.pem"), /REVOKED since .*reason keyCompromise/);
        assert.ok(await exists(`${certs}/revoked.pem.ocsp`));
        await Deno.writeTextFile(`${dir}/leaf.pem`, revoked.pem);
        const check = await opensslVerifyStaple(
          `${certs}/revoked.pem.ocsp`,
          `${dir}/rsa-ca.pem`,
          `${dir}/leaf.pem`,
          `${dir}/trust.pem`,
        );
        assert.ok(check.ok, check.output);
        assert.match(check.output, /: revoked/);
        assert.equal(run.code, 1);
      },
    );

    await t.step("a certificate unknown to the CA is never stapled", async () => {
      assert.match(line("unknown.pem"), /FAILED: .*status unknown/);
      assert.equal(await exists(`${certs}/unknown.pem.ocsp`), false);
    });

    await t.step(
      "a response signed by a responder without the OCSPSigning EKU is never stapled",
      async () => {
        assert.match(line("bad-signer.pem"), /FAILED: .*signer-authorized.*id-kp-OCSPSigning/);
        assert.equal(await exists(`${certs}/bad-signer.pem.ocsp`), false);
      },
    );

    await t.step(
      "no .ocsp is ever created beside a bundle whose issuer cannot be found",
      async () => {
        assert.match(line("orphan.pem"), /FAILED: issuer missing: .*orphan\.pem\.issuer/);
        assert.equal(await exists(`${certs}/orphan.pem.ocsp`), false);
      },
    );

    await t.step("a certificate without an OCSP URL is skipped, not failed", async () => {
      assert.match(line("no-ocsp.pem"), /skipped/);
      assert.equal(await exists(`${certs}/no-ocsp.pem.ocsp`), false);
    });

    await t.step(
      "exit status 0 when every certificate with an OCSP URL holds a valid staple",
      async () => {
        const only = await runStapled([
          "--one-off",
          "-p",
          `${certs}/good.pem`,
          `${certs}/ec.crt`,
          `${certs}/no-ocsp.pem`,
          "-q",
        ]);
        assert.equal(only.code, 0, only.stdout + only.stderr);
        assert.match(only.stdout, /existing staple reused/);
      },
    );

    await t.step("--no-recycle fetches again and --one-shot is an alias", async () => {
      const before = await Deno.readFile(`${certs}/good.pem.ocsp`);
      await new Promise((r) => setTimeout(r, 1100)); // OpenSSL's producedAt has one-second resolution
      const again = await runStapled([
        "--one-shot",
        "--no-recycle",
        "-p",
        `${certs}/good.pem`,
        "-q",
      ]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /fetched from/);
      assert.notDeepEqual(await Deno.readFile(`${certs}/good.pem.ocsp`), before);
    });
  } finally {
    await Promise.all([rsaResponder.stop(), ecResponder.stop(), badResponder.stop()]);
    await Deno.remove(dir, { recursive: true });
  }
});
