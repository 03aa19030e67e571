import assert from "node:assert/strict";
import { SocketError, StapleAdderBadResponse } from "../../../src/errors/mod.ts";
import {
  HaproxyAdder,
  type HaproxySocketAddress,
  type PushResult,
  type StapleClient,
  type StapleIssuerOptions,
  StapleNotSentError,
  type StapleOutcome,
} from "../../../src/haproxy/runtime/mod.ts";
import { ConnectionLostError } from "../../../src/haproxy/runtime/_connection_lost.ts";
import { HAPROXY, servedStaple, startHaproxy } from "../../_helpers/haproxy.ts";
import { makeCa, makeLeaf, makeOcspResponse } from "../../_helpers/openssl_fixtures.ts";
import { WatchedClock } from "./_watched_clock.ts";

/** A socket client whose answers the test decides. */
class FakeClient implements StapleClient {
  calls: Array<[string, number]> = [];
  /** The issuer options of each call, by certificate. */
  issuers = new Map<string, StapleIssuerOptions | undefined>();
  closed = false;
  answer: (certPath: string, der: Uint8Array) => Promise<StapleOutcome> = () =>
    Promise.resolve("updated");
  #listeners = new Set<() => void | Promise<void>>();

  setOcspResponse(
    certPath: string,
    der: Uint8Array,
    options?: StapleIssuerOptions,
  ): Promise<StapleOutcome> {
    this.calls.push([certPath, der[0]]);
    this.issuers.set(certPath, options);
    return this.answer(certPath, der);
  }
  onReconnect(listener: () => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** Calls the listeners as the real client does; resolves when they are done. */
  async reconnect(): Promise<void> {
    await Promise.all([...this.#listeners].map((listener) => listener()));
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const A: HaproxySocketAddress = { transport: "unix", path: "/run/a.sock" };
const B: HaproxySocketAddress = { transport: "tcp", hostname: "127.0.0.1", port: 9999 };

function fakeAdder(onResult: (result: PushResult) => void = () => {}) {
  const clients = new Map<string, FakeClient>();
  const adder = new HaproxyAdder({
    createClient(address) {
      const client = new FakeClient();
      clients.set(address.transport === "unix" ? address.path : String(address.port), client);
      return client;
    },
    onResult,
  });
  return { adder, a: () => clients.get("/run/a.sock")!, b: () => clients.get("9999")! };
}

const der = (marker: number) => new Uint8Array([marker]);

Deno.test("push() sends a staple to each distinct socket once and reports each", async () => {
  const { adder, a, b } = fakeAdder();
  const results = await adder.push("/c/x.pem", der(1), [A, B, { ...A }]);
  assert.deepEqual(results, [
    { socket: "/run/a.sock", certPath: "/c/x.pem", repush: false, ok: true, outcome: "updated" },
    { socket: "127.0.0.1:9999", certPath: "/c/x.pem", repush: false, ok: true, outcome: "updated" },
  ]);
  assert.deepEqual(a().calls, [["/c/x.pem", 1]]);
  assert.deepEqual(b().calls, [["/c/x.pem", 1]]);
});

Deno.test("push() never rejects: a failing socket becomes a result", async () => {
  const { adder, a, b } = fakeAdder();
  const first = adder.push("/c/x.pem", der(1), [A, B]);
  await first;
  a().answer = () => Promise.reject(new SocketError("/run/a.sock", "cannot connect: refused"));
  b().answer = () => Promise.reject(new StapleAdderBadResponse("/c/x.pem", "Unable to parse"));
  const [ra, rb] = await adder.push("/c/x.pem", der(2), [A, B]);
  assert.ok(!ra.ok && ra.error instanceof SocketError);
  assert.ok(!rb.ok && rb.error instanceof StapleAdderBadResponse);
});

Deno.test("a socket that never answers does not hold up the others", async () => {
  const seen: PushResult[] = [];
  let bDone!: () => void;
  const bReported = new Promise<void>((resolve) => bDone = resolve);
  const { adder, a } = fakeAdder((result) => {
    seen.push(result);
    if (result.socket === "127.0.0.1:9999") bDone();
  });
  await adder.push("/c/x.pem", der(1), [A]); // creates A's client
  let release!: (outcome: StapleOutcome) => void;
  a().answer = () => new Promise((resolve) => release = resolve);
  const pushing = adder.push("/c/x.pem", der(2), [A, B]);
  await bReported;
  assert.deepEqual(seen.map((r) => r.socket), ["/run/a.sock", "127.0.0.1:9999"]);
  release("updated");
  assert.equal((await pushing).length, 2);
});

Deno.test("after a reconnect, the socket's latest staple of each certificate is pushed again", async () => {
  const seen: PushResult[] = [];
  const { adder, a, b } = fakeAdder((result) => seen.push(result));
  await adder.push("/c/x.pem", der(1), [A, B]);
  await adder.push("/c/x.pem", der(2), [A]);
  await adder.push("/c/y.pem", der(3), [A]);
  a().calls = [];
  seen.length = 0;
  await a().reconnect();
  assert.deepEqual(a().calls, [["/c/x.pem", 2], ["/c/y.pem", 3]]);
  assert.deepEqual(b().calls, [["/c/x.pem", 1]]);
  assert.ok(seen.every((result) => result.repush && result.ok));
  assert.equal(seen.length, 2);
});

Deno.test("a staple HAProxy drops the connection on is pushed again last, then skipped, and the others are delivered", async () => {
  const seen: PushResult[] = [];
  const { adder, a } = fakeAdder((result) => seen.push(result));
  await adder.push("/c/y.pem", der(2), [A]); // creates A's client
  a().answer = (certPath) =>
    certPath === "/c/x.pem"
      ? Promise.reject(
        new ConnectionLostError("/run/a.sock", "'set ssl ocsp-response' failed: reset"),
      )
      : Promise.resolve("updated");
  const [first] = await adder.push("/c/x.pem", der(1), [A]);
  assert.ok(!first.ok && first.error instanceof SocketError);
  await adder.push("/c/z.pem", der(3), [A]);

  a().calls = [];
  await a().reconnect();
  assert.deepEqual(a().calls, [["/c/y.pem", 2], ["/c/z.pem", 3], ["/c/x.pem", 1]]);

  a().calls = [];
  seen.length = 0;
  await a().reconnect();
  assert.deepEqual(a().calls, [["/c/y.pem", 2], ["/c/z.pem", 3]], "x.pem is skipped");
  const skipped = seen.find((result) => result.certPath === "/c/x.pem")!;
  assert.ok(!skipped.ok && skipped.error instanceof StapleNotSentError);
  assert.equal(
    skipped.error.message,
    "/c/x.pem: staple not sent to HAProxy: HAProxy dropped the connection 2 times while " +
      "reading this staple; it is not pushed again until the next one",
  );

  // A new staple for x.pem is pushed (and, once delivered, re-pushed as usual).
  a().answer = () => Promise.resolve("updated");
  const [next] = await adder.push("/c/x.pem", der(4), [A]);
  assert.ok(next.ok);
  a().calls = [];
  await a().reconnect();
  assert.deepEqual(a().calls, [["/c/y.pem", 2], ["/c/x.pem", 4], ["/c/z.pem", 3]]);
});

Deno.test("push() hands the issuer options to each socket's client, and again when it re-pushes", async () => {
  const { adder, a, b } = fakeAdder();
  await adder.push("/c/x.pem", der(1), [A, B], { issuerFile: "/c/ca.pem" });
  await adder.push("/c/y.pem", der(2), [A]);
  assert.deepEqual(a().issuers.get("/c/x.pem"), { issuerFile: "/c/ca.pem" });
  assert.deepEqual(b().issuers.get("/c/x.pem"), { issuerFile: "/c/ca.pem" });
  assert.deepEqual(a().issuers.get("/c/y.pem"), {});
  a().issuers.clear();
  await a().reconnect();
  assert.deepEqual(a().issuers.get("/c/x.pem"), { issuerFile: "/c/ca.pem" });
  // A later push without options replaces them.
  await adder.push("/c/x.pem", der(3), [A]);
  assert.deepEqual(a().issuers.get("/c/x.pem"), {});
});

Deno.test("forget() stops re-pushing a certificate", async () => {
  const { adder, a } = fakeAdder();
  await adder.push("/c/x.pem", der(1), [A]);
  await adder.push("/c/y.pem", der(2), [A]);
  adder.forget("/c/x.pem");
  a().calls = [];
  await a().reconnect();
  assert.deepEqual(a().calls, [["/c/y.pem", 2]]);
});

Deno.test("close() closes every socket's client", async () => {
  const { adder, a, b } = fakeAdder();
  await adder.push("/c/x.pem", der(1), [A, B]);
  await adder.close();
  assert.ok(a().closed && b().closed);
});

Deno.test("retain() closes and forgets the sockets a reloaded configuration no longer names", async () => {
  const { adder, a, b } = fakeAdder();
  await adder.push("/c/x.pem", der(1), [A, B]);
  await adder.retain([A]);
  assert.ok(b().closed, "B is dropped");
  assert.ok(!a().closed, "A stays");
  await adder.close();
});

Deno.test({
  name: "a staple pushed before HAProxy's socket exists is pushed when it comes up",
  ignore: !HAPROXY,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "stapled-adder-" });
    const clock = new WatchedClock();
    const results: PushResult[] = [];
    let repushed!: (result: PushResult) => void;
    const repush = new Promise<PushResult>((resolve) => repushed = resolve);
    const adder = new HaproxyAdder({
      clock,
      onResult(result) {
        results.push(result);
        if (result.repush) repushed(result);
      },
    });
    const socket: HaproxySocketAddress = { transport: "unix", path: `${dir}/admin.sock` };
    try {
      const ca = await makeCa(dir);
      const leaf = await makeLeaf(ca, "a.test");
      const response = await makeOcspResponse(ca, leaf, { days: 2 });

      const [first] = await adder.push(leaf.bundlePath, response.der, [socket]);
      assert.ok(!first.ok && first.error instanceof SocketError);
      assert.match(first.error.message, /cannot connect: No such file or directory/);
      assert.deepEqual(clock.pending(), [1000]);

      const haproxy = await startHaproxy({ dir, crts: [leaf.bundlePath] });
      try {
        await clock.advance(1000);
        const again = await repush;
        assert.deepEqual(again, {
          socket: socket.path,
          certPath: leaf.bundlePath,
          repush: true,
          ok: true,
          outcome: "committed",
        });
        const served = await servedStaple(haproxy.tlsPort, leaf.name);
        assert.equal(served.certStatus, "good");
        assert.equal(served.nextUpdate, response.nextUpdate);
      } finally {
        await adder.close();
        await haproxy.stop();
      }
    } finally {
      await adder.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
