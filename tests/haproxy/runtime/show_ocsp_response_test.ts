import assert from "node:assert/strict";
import { TestCa, writeBundle } from "../../../scripts/lib/pki.ts";
import { buildOcspResponse } from "../../../scripts/lib/ocsp_responder.ts";
import { ParsedCert } from "../../../src/certs/mod.ts";
import { certIdFor, validateOcspResponse } from "../../../src/ocsp/mod.ts";
import {
  certIdKey,
  compareServed,
  type ExpectedStaple,
  parseOcspResponse,
  parseOcspResponseList,
  parseOpensslTime,
  showOcspResponses,
} from "../../../src/haproxy/runtime/show_ocsp_response.ts";
import { HAPROXY_BINARIES, startHaproxy } from "../../_helpers/haproxy.ts";

const LIST_26 =
  "# Certificate IDs\nCertificate ID key : 3041300906052b0e03021a05000414433338f94535082c92f4564cbf5c4e2b7868564d0414e6dc25426d69907f3b1e5a149052d926ce7fb5c10208100014aa094b7170\n Certificate ID:\n   Issuer Name Hash: 433338F94535082C92F4564CBF5C4E2B7868564D\n   Issuer Key Hash: E6DC25426D69907F3B1E5A149052D926CE7FB5C1\n   Serial Number: 100014AA094B7170\nCertificate ID key : 3041300906052b0e03021a05000414433338f94535082c92f4564cbf5c4e2b7868564d0414e6dc25426d69907f3b1e5a149052d926ce7fb5c102081000185e2eb49ca5\n Certificate ID:\n   Issuer Name Hash: 433338F94535082C92F4564CBF5C4E2B7868564D\n   Issuer Key Hash: E6DC25426D69907F3B1E5A149052D926CE7FB5C1\n   Serial Number: 1000185E2EB49CA5\n\n";
const LIST_30 =
  "# Certificate IDs\nCertificate ID key : 3041300906052b0e03021a05000414433338f94535082c92f4564cbf5c4e2b7868564d0414fce8b1101fe58c22133cc974ce0735e64d6479e20208100014d9a30d7b14\nCertificate path : /tmp/fd7850e617c6bcf1/a.pem\n Certificate ID:\n   Issuer Name Hash: 433338F94535082C92F4564CBF5C4E2B7868564D\n   Issuer Key Hash: FCE8B1101FE58C22133CC974CE0735E64D6479E2\n   Serial Number: 100014D9A30D7B14\n\n";
const ONE_26 =
  "OCSP Response Data:\n    OCSP Response Status: successful (0x0)\n    Response Type: Basic OCSP Response\n    Version: 1 (0x0)\n    Responder Id: E6DC25426D69907F3B1E5A149052D926CE7FB5C1\n    Produced At: Dec  1 18:15:27 2026 GMT\n    Responses:\n    Certificate ID:\n      Hash Algorithm: sha1\n      Issuer Name Hash: 433338F94535082C92F4564CBF5C4E2B7868564D\n      Issuer Key Hash: E6DC25426D69907F3B1E5A149052D926CE7FB5C1\n      Serial Number: 100014AA094B7170\n    Cert Status: good\n    This Update: Dec  1 17:15:27 2026 GMT\n    Next Update: Dec  4 18:15:27 2026 GMT\n \n    Signature Algorithm: ecdsa-with-SHA256\n    Signature Value:\n        30:46:02:21:00:94:4d:41:a9:1d:dd:45:ce:d7:fd:29:96:f7\n\n";

Deno.test("parseOcspResponseList() reads HAProxy 2.6's list and 3.0's with the certificate path", () => {
  const l26 = parseOcspResponseList(LIST_26);
  assert.equal(l26.length, 2);
  assert.deepEqual(l26[0], {
    key:
      "3041300906052b0e03021a05000414433338f94535082c92f4564cbf5c4e2b7868564d0414e6dc25426d69907f3b1e5a149052d926ce7fb5c10208100014aa094b7170",
    issuerNameHash: "433338F94535082C92F4564CBF5C4E2B7868564D",
    issuerKeyHash: "E6DC25426D69907F3B1E5A149052D926CE7FB5C1",
    serial: "100014AA094B7170",
  });
  const [one] = parseOcspResponseList(LIST_30);
  assert.equal(one.path, "/tmp/fd7850e617c6bcf1/a.pem");
  assert.deepEqual(parseOcspResponseList("# Certificate IDs\n\n"), []);
  assert.throws(
    () => parseOcspResponseList("Unknown command: 'show ssl ocsp-response'\n"),
    RangeError,
  );
});

Deno.test("parseOcspResponse() reads one response's status and times, an empty slot and an unknown CertID", () => {
  assert.deepEqual(parseOcspResponse(ONE_26), {
    state: "response",
    status: "good",
    producedAt: new Date("2026-12-01T18:15:27Z"),
    thisUpdate: new Date("2026-12-01T17:15:27Z"),
    nextUpdate: new Date("2026-12-04T18:15:27Z"),
    serial: "100014AA094B7170",
  });
  assert.deepEqual(parseOcspResponse("\n"), { state: "none" });
  assert.deepEqual(
    parseOcspResponse("Certificate ID or path does not match any certificate.\n\n"),
    {
      state: "unknown-id",
      message: "Certificate ID or path does not match any certificate.",
    },
  );
  assert.throws(() => parseOcspResponse("Permission denied\n"), RangeError);
  assert.equal(
    parseOpensslTime("Feb 29 00:00:00 2028 GMT")?.toISOString(),
    "2028-02-29T00:00:00.000Z",
  );
  assert.equal(parseOpensslTime("2028-02-29"), undefined);
});

Deno.test("compareServed() flags a served response other than the one on disk, and a missing one", () => {
  const at = new Date("2026-12-01T17:15:27Z");
  const onDisk = {
    status: "good" as const,
    producedAt: new Date("2026-12-01T18:15:27Z"),
    thisUpdate: at,
    nextUpdate: new Date("2026-12-04T18:15:27Z"),
  };
  const served = new Map([["k1", parseOcspResponse(ONE_26)], ["k2", { state: "none" as const }]]);
  const rows = compareServed("/run/h.sock", [
    { path: "same.pem", key: "k1", onDisk },
    {
      path: "newer.pem",
      key: "k1",
      onDisk: { ...onDisk, thisUpdate: new Date(at.getTime() + 3_600_000) },
    },
    { path: "empty.pem", key: "k2", onDisk },
    { path: "unknown.pem", key: "k3", onDisk },
    { path: "nothing-on-disk.pem", key: "k1" },
  ], served);
  assert.deepEqual(rows.map((r) => [r.path, r.state]), [
    ["same.pem", "same"],
    ["newer.pem", "differs"],
    ["empty.pem", "missing"],
    ["unknown.pem", "missing"],
    ["nothing-on-disk.pem", "differs"],
  ]);
  assert.equal(
    rows[1].detail,
    "served thisUpdate 2026-12-01T17:15:27.000Z, on disk 2026-12-01T18:15:27.000Z",
  );
});

for (const binary of HAPROXY_BINARIES) {
  Deno.test({
    name:
      `showOcspResponses() against ${binary}: the served staple matches the disk, an empty one and a replaced one are flagged`,
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    const root = await TestCa.root("Show OCSP Root");
    const ca = await root.intermediate("Show OCSP CA");
    const issuer = ParsedCert.parse(ca.der);
    const dir = await Deno.makeTempDir({ prefix: "stapled-show-ocsp-" });
    const names = ["same", "empty", "replaced"];
    const leaves = await Promise.all(
      names.map((n) => ca.leaf(`${n}.show.test`, { ocspUrls: ["http://127.0.0.1:9/"] })),
    );
    const ids = await Promise.all(
      leaves.map((l) => certIdFor(issuer, ParsedCert.parse(l.der).serial)),
    );
    const hour = 3_600_000;
    for (const [i, n] of names.entries()) {
      await writeBundle(`${dir}/${n}.pem`, leaves[i], [ca]);
      const der = n === "empty" ? new Uint8Array() : await buildOcspResponse({
        signer: ca,
        singles: [{
          certId: ids[i],
          thisUpdate: new Date(Math.floor(Date.now() / 1000) * 1000 - 2 * hour),
        }],
      });
      await Deno.writeFile(`${dir}/${n}.pem.ocsp`, der);
    }
    const haproxy = await startHaproxy({ dir, crts: names.map((n) => `${dir}/${n}.pem`), binary });
    try {
      // After HAProxy loaded it, replaced.pem gets a newer staple on disk.
      await Deno.writeFile(
        `${dir}/replaced.pem.ocsp`,
        await buildOcspResponse({ signer: ca, singles: [{ certId: ids[2] }] }),
      );
      const served = await showOcspResponses({ transport: "unix", path: haproxy.socketPath });
      const keys = ids.map(certIdKey);
      assert.deepEqual([...served.keys()].sort(), [...keys].sort(), "certIdKey() is HAProxy's key");
      assert.equal(served.get(keys[0])?.state, "response");
      assert.equal(served.get(keys[1])?.state, "none");
      if (served.get(keys[0])?.path !== undefined) {
        assert.equal(served.get(keys[0])!.path, `${dir}/same.pem`);
      }
      const expected: ExpectedStaple[] = [];
      for (const [i, n] of names.entries()) {
        const bytes = await Deno.readFile(`${dir}/${n}.pem.ocsp`);
        const onDisk = bytes.length
          ? await validateOcspResponse(bytes, { file: n, certId: ids[i], issuer, now: new Date() })
          : undefined;
        expected.push({ path: `${dir}/${n}.pem`, key: keys[i], onDisk });
      }
      const rows = compareServed(haproxy.socketPath, expected, served);
      assert.deepEqual(rows.map((r) => [r.path.slice(dir.length + 1), r.state]), [
        ["same.pem", "same"],
        ["empty.pem", "missing"],
        ["replaced.pem", "differs"],
      ]);
      assert.match(rows[2].detail!, /thisUpdate/);
    } finally {
      await haproxy.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("certIdKey() gives the codec's DER for SHA-1 CertIDs of any serial length", async () => {
  const { AsnConvert } = await import("@peculiar/asn1-schema");
  const { toAsnCertId, ID_SHA1 } = await import("../../../src/ocsp/cert_id.ts");
  const codec = (id: Parameters<typeof toAsnCertId>[0]) =>
    new Uint8Array(AsnConvert.serialize(toAsnCertId(id))).toHex();
  for (let len = 1; len <= 22; len++) {
    for (const first of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
      const serial = crypto.getRandomValues(new Uint8Array(len));
      serial[0] = first;
      const id = {
        hashAlgorithm: ID_SHA1,
        issuerNameHash: crypto.getRandomValues(new Uint8Array(20)),
        issuerKeyHash: crypto.getRandomValues(new Uint8Array(20)),
        serialNumber: serial,
      };
      assert.equal(certIdKey(id), codec(id), `serial of ${len} bytes starting ${first}`);
    }
  }
  const sha256 = {
    hashAlgorithm: "2.16.840.1.101.3.4.2.1",
    issuerNameHash: new Uint8Array(32),
    issuerKeyHash: new Uint8Array(32),
    serialNumber: new Uint8Array([1]),
  };
  assert.equal(certIdKey(sha256), codec(sha256));
});
