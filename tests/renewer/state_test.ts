/**
 * Work not redone: a staple verified before, whose bundle and staple files
 * did not change, is reused without being parsed or verified again; any
 * change of either file, or a state file of another schema, means a full
 * check.
 */
import assert from "node:assert/strict";
import { renewStaple } from "../../src/renewer/mod.ts";
import { validateOcspResponse } from "../../src/ocsp/mod.ts";
import {
  FileStapleStore,
  FileStateStore,
  MemoryStateStore,
  STATE_FILE_NAME,
  writeStapleAtomic,
} from "../../src/staples/mod.ts";
import { makeStapleFixture, type StapleFixture } from "../_helpers/fixtures.ts";
import { StapleWriteError } from "../../src/errors/mod.ts";

const HOUR = 3_600_000;

/** A validator that counts its calls. */
function countingValidator(): { validate: typeof validateOcspResponse; calls: () => number } {
  let calls = 0;
  return {
    validate: (der, ctx) => {
      calls++;
      return validateOcspResponse(der, ctx);
    },
    calls: () => calls,
  };
}

async function writeGoodStaple(fx: StapleFixture): Promise<void> {
  const now = Date.now();
  const der = await fx.goodResponse({
    thisUpdate: new Date(now - HOUR),
    nextUpdate: new Date(now + 24 * HOUR),
  });
  await writeStapleAtomic(fx.staplePath, der);
}

/** Renews once with `state` to remember the staple; returns a fresh counter. */
async function remembered(fx: StapleFixture, state: MemoryStateStore | FileStateStore) {
  const first = countingValidator();
  const res = await renewStaple(fx.bundle, {
    state,
    validate: first.validate,
    store: new FileStapleStore(),
  });
  assert.equal(res.action, "recycled");
  assert.equal(first.calls(), 1, "the first run checks the staple in full");
  return countingValidator();
}

Deno.test("a warm renewal whose bundle and staple are unchanged reuses the staple without validating it", async () => {
  const fx = await makeStapleFixture();
  try {
    await writeGoodStaple(fx);
    const state = new MemoryStateStore();
    const again = await remembered(fx, state);
    const res = await renewStaple(fx.bundle, { state, validate: again.validate });
    assert.equal(res.action, "recycled");
    assert.equal(again.calls(), 0, "nothing validated on the warm run");
    assert.equal(res.response.status, "good");
    assert.deepEqual(res.written, await Deno.readFile(fx.staplePath));
    const rec = state.records.get(fx.path)!;
    assert.equal(res.response.expiresAt.getTime(), rec.expiresAt);
  } finally {
    await fx.cleanup();
  }
});

Deno.test("a staple rewritten since it was verified (new inode, size, mtime) is checked in full again", async () => {
  const fx = await makeStapleFixture();
  try {
    await writeGoodStaple(fx);
    const state = new MemoryStateStore();
    const again = await remembered(fx, state);
    await writeGoodStaple(fx);
    const res = await renewStaple(fx.bundle, { state, validate: again.validate });
    assert.equal(res.action, "recycled");
    assert.equal(again.calls(), 1);
  } finally {
    await fx.cleanup();
  }
});

Deno.test("a staple replaced by garbage under a remembered result is not reused", async () => {
  const fx = await makeStapleFixture({ ocspUrls: ["http://127.0.0.1:9/"] });
  try {
    await writeGoodStaple(fx);
    const state = new MemoryStateStore();
    await remembered(fx, state);
    await Deno.writeFile(fx.staplePath, new Uint8Array([0x30, 0x03, 1, 2, 3]));
    await assert.rejects(renewStaple(fx.bundle, { state, timeoutMs: 1000 }));
    assert.equal(state.records.has(fx.path), false, "the record is forgotten");
  } finally {
    await fx.cleanup();
  }
});

Deno.test("a bundle changed since its staple was verified means a full check again", async () => {
  const fx = await makeStapleFixture();
  try {
    await writeGoodStaple(fx);
    const state = new MemoryStateStore();
    const again = await remembered(fx, state);
    // Same bytes, new mtime: still a change of the file.
    const later = new Date(Date.now() + 60_000);
    await Deno.utime(fx.path, later, later);
    const res = await renewStaple(fx.bundle, { state, validate: again.validate });
    assert.equal(res.action, "recycled");
    assert.equal(again.calls(), 1);
  } finally {
    await fx.cleanup();
  }
});

Deno.test("a remembered staple that is no longer valid for long enough is renewed, not reused", async () => {
  const fx = await makeStapleFixture({ ocspUrls: ["http://127.0.0.1:9/"] });
  try {
    await writeGoodStaple(fx);
    const state = new MemoryStateStore();
    const again = await remembered(fx, state);
    // 23 h of the 24 h left are asked for: the remembered expiry is too soon.
    await assert.rejects(
      renewStaple(fx.bundle, {
        state,
        validate: again.validate,
        minimumValidity: 25 * 3600,
        timeoutMs: 1000,
      }),
    );
    assert.equal(again.calls(), 0, "decided from the remembered times");
  } finally {
    await fx.cleanup();
  }
});

Deno.test("the state file keeps results across runs and one of another schema version is ignored", async () => {
  const fx = await makeStapleFixture();
  const dir = await Deno.makeTempDir({ prefix: "stapled-state-" });
  try {
    await writeGoodStaple(fx);
    const first = FileStateStore.open(dir)!;
    await remembered(fx, first);
    await first.flush();

    const warm = countingValidator();
    await renewStaple(fx.bundle, { state: FileStateStore.open(dir)!, validate: warm.validate });
    assert.equal(warm.calls(), 0, "reused from the state file");

    const file = `${dir}/${STATE_FILE_NAME}`;
    const [head, ...lines] = (await Deno.readTextFile(file)).split("\n");
    const doc = JSON.parse(head);
    await Deno.writeTextFile(
      file,
      [JSON.stringify({ ...doc, schema: doc.schema + 1 }), ...lines].join("\n"),
    );
    const other = countingValidator();
    await renewStaple(fx.bundle, { state: FileStateStore.open(dir)!, validate: other.validate });
    assert.equal(other.calls(), 1, "another schema's records are not trusted");
  } finally {
    await fx.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a state directory that cannot be created gives no store", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-state-" });
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    assert.equal(FileStateStore.open(`${dir}/file/state`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the state file of 100,000 remembered certificates, with their leaves' facts, stays under 50 MB", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stapled-state-" });
  try {
    const state = FileStateStore.open(dir)!;
    const t = Date.now();
    const fp = (i: number) => `1e68.${(3227656 + i).toString(36)}.7ps.mx54dlms.mx54dljs`;
    for (let i = 0; i < 100_000; i++) {
      const path = `/etc/haproxy/certs/site-${i}.example.com.pem`;
      const serial = `40${i.toString(16).padStart(30, "0")}`;
      state.setBundle(path, {
        fingerprint: fp(i),
        identity: `${i}`.padStart(22, "y"),
        issuer: "lkPSy3rhtkQlQu9TWTgEmDoeY7YsO/hp+jooXPSl0Bo=",
        selfContained: true,
        notAfter: t + 90 * 86_400_000,
        ocspUrls: ["http://ocsp.example-ca.com"],
        facts: {
          subject: `CN=site-${i}.example.com`,
          san: [`DNS:site-${i}.example.com`, `DNS:www.site-${i}.example.com`],
          serial,
          mustStaple: false,
          certIdKey: `3049300906052b0e03021a05000414${"a".repeat(40)}0414${
            "b".repeat(40)
          }0210${serial}`,
        },
      });
      state.set(path, {
        check: `${fp(i)}|${fp(i + 1)}|${`${i}`.padStart(22, "y")}`,
        producedAt: t,
        thisUpdate: t,
        nextUpdate: t + 7 * 86_400_000,
        expiresAt: t + 7 * 86_400_000,
        signer: "issuer",
        signerNotAfter: t + 365 * 86_400_000,
      });
    }
    await state.flush();
    const size = (await Deno.stat(`${dir}/${STATE_FILE_NAME}`)).size;
    console.log(`state file of 100,000: ${size} bytes`);
    assert.ok(size < 50 * 2 ** 20, `${size} bytes`);
    const again = FileStateStore.open(dir)!;
    const last = "/etc/haproxy/certs/site-99999.example.com.pem";
    assert.equal(again.get(last)?.expiresAt, t + 7 * 86_400_000);
    assert.equal(again.getBundle(last)?.facts?.subject, "CN=site-99999.example.com");
    assert.deepEqual(again.getBundle(last), state.getBundle(last), "the CertID key is built again");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a revoked answer forgets the remembered good staple before anything is written", async () => {
  const fx = await makeStapleFixture();
  try {
    await writeGoodStaple(fx);
    const state = new MemoryStateStore();
    await remembered(fx, state);
    assert.ok(state.records.has(fx.path));
    const now = Date.now();
    const revoked = await fx.goodResponse({
      status: "revoked",
      revokedAt: new Date(now - 60_000),
      thisUpdate: new Date(now - 30_000),
      nextUpdate: new Date(now + 24 * HOUR),
    });
    // The staple write fails (a full disk): the good staple stays on disk,
    // and must not be recalled as good on the next run.
    const files = new FileStapleStore();
    const store = Object.assign(Object.create(files), {
      write: (path: string) =>
        Promise.reject(new StapleWriteError(path, "cannot write staple: No space left on device")),
    });
    await assert.rejects(
      renewStaple(fx.bundle, {
        state,
        store,
        recycle: false,
        fetch: () =>
          Promise.resolve(
            new Response(revoked as BodyInit, {
              headers: { "content-type": "application/ocsp-response" },
            }),
          ),
      }),
      (err: Error) => (err as { kind?: string }).kind === "StapleWriteError",
    );
    assert.equal(state.records.has(fx.path), false, "the good staple is forgotten");
  } finally {
    await fx.cleanup();
  }
});
