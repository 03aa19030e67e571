import assert from "node:assert/strict";
import { type FsWatcherLike, watchCertPaths } from "../../src/finder/mod.ts";
import { FakeClock, makeTree, removeTree } from "./_helpers.ts";

type Event = { kind: Deno.FsEvent["kind"]; paths: string[] };

/** A watcher whose events the test pushes; it ends when closed. */
class FakeWatcher implements FsWatcherLike {
  closed = false;
  #events: Event[] = [];
  #wake: (() => void) | null = null;
  #fail: Error | null = null;

  constructor(readonly paths: string[], readonly recursive: boolean) {}

  push(kind: Event["kind"], ...paths: string[]): void {
    this.#events.push({ kind, paths });
    this.#wake?.();
  }

  fail(err: Error): void {
    this.#fail = err;
    this.#wake?.();
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Event> {
    while (!this.closed) {
      const event = this.#events.shift();
      if (event) {
        yield event;
        continue;
      }
      if (this.#fail) throw this.#fail;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}

/** Lets the watch loops take the events pushed so far. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

async function setup(paths: (root: string) => string[], options: { recursive?: boolean } = {}) {
  const root = await makeTree(["certs/a.pem", "certs/sub/", "site.bundle"]);
  const clock = new FakeClock();
  const watchers: FakeWatcher[] = [];
  let changes = 0;
  const watcher = await watchCertPaths(paths(root), {
    ...options,
    onChange: () => changes++,
    clock,
    watchFs(list, { recursive }) {
      const fake = new FakeWatcher(list, recursive);
      watchers.push(fake);
      return fake;
    },
  });
  return {
    root,
    clock,
    watchers,
    watcher,
    changes: () => changes,
    async done() {
      await watcher.close();
      await removeTree(root);
    },
  };
}

Deno.test("watchCertPaths() calls onChange once, after a burst of events goes quiet", async () => {
  const t = await setup((root) => [`${root}/certs`]);
  try {
    const [fake] = t.watchers;
    const pem = `${t.root}/certs/a.pem`;
    fake.push("modify", pem);
    await settle();
    t.clock.advance(150);
    fake.push("modify", pem);
    await settle();
    t.clock.advance(150);
    fake.push("access", pem);
    await settle();
    t.clock.advance(199);
    assert.equal(t.changes(), 0);
    t.clock.advance(1);
    assert.equal(t.changes(), 1);
    t.clock.advance(5_000);
    assert.equal(t.changes(), 1);
  } finally {
    await t.done();
  }
});

Deno.test("watchCertPaths() calls onChange within maxWaitMs of an endless burst", async () => {
  const t = await setup((root) => [`${root}/certs`]);
  try {
    const [fake] = t.watchers;
    for (let ms = 0; ms < 1_000; ms += 100) {
      fake.push("modify", `${t.root}/certs/a.pem`);
      await settle();
      t.clock.advance(100);
    }
    assert.equal(t.changes(), 1);
  } finally {
    await t.done();
  }
});

Deno.test("watchCertPaths() ignores staple writes, temp files and sibling files", async () => {
  const t = await setup((root) => [`${root}/certs`], { recursive: true });
  try {
    const [fake] = t.watchers;
    const dir = `${t.root}/certs`;
    fake.push("create", `${dir}/.a.pem.ocsp.Xy12ab.tmp`);
    fake.push("modify", `${dir}/.a.pem.ocsp.Xy12ab.tmp`);
    fake.push("rename", `${dir}/.a.pem.ocsp.Xy12ab.tmp`, `${dir}/a.pem.ocsp`);
    fake.push("create", `${dir}/a.pem.key`, `${dir}/a.pem.issuer`, `${dir}/a.pem.sctl`);
    fake.push("modify", `${dir}/access.log`);
    await settle();
    assert.equal(t.clock.pending, 0);
    t.clock.advance(5_000);
    assert.equal(t.changes(), 0);
  } finally {
    await t.done();
  }
});

Deno.test("watchCertPaths() counts a new directory only when recursive", async () => {
  for (const recursive of [false, true]) {
    const t = await setup((root) => [`${root}/certs`], { recursive });
    try {
      const [fake] = t.watchers;
      assert.equal(fake.recursive, recursive);
      fake.push("create", `${t.root}/certs/newdir`);
      await settle();
      t.clock.advance(200);
      assert.equal(t.changes(), recursive ? 1 : 0);
    } finally {
      await t.done();
    }
  }
});

Deno.test("watchCertPaths() watches a file cert path through its directory", async () => {
  const t = await setup((root) => [`${root}/site.bundle`, `${root}/certs`], { recursive: true });
  try {
    assert.deepEqual(
      t.watchers.map((w) => [w.paths, w.recursive]),
      [[[`${t.root}/certs`], true], [[t.root], false]],
    );
    assert.equal(t.watcher.watching, 2);
    const flat = t.watchers[1];
    flat.push("modify", `${t.root}/other.txt`);
    await settle();
    t.clock.advance(200);
    assert.equal(t.changes(), 0);
    flat.push("rename", `${t.root}/.site.bundle.new`, `${t.root}/site.bundle`);
    await settle();
    t.clock.advance(200);
    assert.equal(t.changes(), 1);
  } finally {
    await t.done();
  }
});

Deno.test("watchCertPaths() warns about a missing path and watches the rest", async () => {
  const t = await setup((root) => [`${root}/missing`, `${root}/certs`]);
  try {
    assert.deepEqual(t.watcher.warnings, [
      `${t.root}/missing: cannot watch: cert path does not exist`,
    ]);
    assert.equal(t.watcher.watching, 1);
    assert.deepEqual(t.watchers[0].paths, [`${t.root}/certs`]);
  } finally {
    await t.done();
  }
});

Deno.test("watchCertPaths() warns instead of throwing when watching fails", async () => {
  const root = await makeTree(["a/", "b/"]);
  const warned: string[] = [];
  try {
    const watcher = await watchCertPaths([`${root}/a`, `${root}/b`], {
      onChange() {},
      onWarning: (message) => warned.push(message),
      watchFs() {
        throw new Error("inotify watch limit reached");
      },
    });
    assert.equal(watcher.watching, 0);
    assert.deepEqual(warned, [
      `${root}/a: cannot watch: inotify watch limit reached`,
      `${root}/b: cannot watch: inotify watch limit reached`,
    ]);
    assert.deepEqual(watcher.warnings, warned);
    await watcher.close();
  } finally {
    await removeTree(root);
  }
});

Deno.test("watchCertPaths() warns when a watch stops by itself", async () => {
  const warned: string[] = [];
  const root = await makeTree(["a/"]);
  let fake: FakeWatcher | undefined;
  try {
    const watcher = await watchCertPaths([`${root}/a`], {
      onChange() {},
      onWarning: (message) => warned.push(message),
      watchFs(paths, { recursive }) {
        fake = new FakeWatcher(paths, recursive);
        return fake;
      },
    });
    fake!.fail(new Error("watch descriptor lost"));
    await settle();
    assert.deepEqual(warned, ["cert watch stopped: watch descriptor lost"]);
    await watcher.close();
  } finally {
    await removeTree(root);
  }
});

Deno.test("watchCertPaths() stops calling onChange once closed", async () => {
  const t = await setup((root) => [`${root}/certs`]);
  try {
    const [fake] = t.watchers;
    fake.push("modify", `${t.root}/certs/a.pem`);
    await settle();
    assert.equal(t.clock.pending, 1);
    await t.watcher.close();
    assert.equal(fake.closed, true);
    assert.equal(t.clock.pending, 0);
    t.clock.advance(5_000);
    assert.equal(t.changes(), 0);
  } finally {
    await t.done();
  }
});

Deno.test("watchCertPaths() refuses a negative delay with a RangeError", async () => {
  await assert.rejects(
    watchCertPaths(["/nowhere"], { onChange() {}, debounceMs: -1 }),
    new RangeError("Cannot watch cert paths: debounceMs is -1, not a finite number >= 0"),
  );
});

Deno.test("watchCertPaths() hears a certificate written in a real directory", async () => {
  const root = await makeTree(["certs/"]);
  let heard: () => void = () => {};
  const changed = new Promise<void>((resolve) => (heard = resolve));
  const watcher = await watchCertPaths([`${root}/certs`], {
    onChange: () => heard(),
    debounceMs: 10,
  });
  let guard: ReturnType<typeof setTimeout> | undefined;
  try {
    assert.equal(watcher.watching, 1);
    await Deno.writeTextFile(`${root}/certs/new.pem`, "x");
    const timedOut = new Promise<string>((resolve) => {
      guard = setTimeout(() => resolve("no change heard within 10 s"), 10_000);
    });
    assert.equal(await Promise.race([changed.then(() => "heard"), timedOut]), "heard");
  } finally {
    clearTimeout(guard);
    await watcher.close();
    await removeTree(root);
  }
});

Deno.test("watchCertPaths() debounces on the scheduler's Clock, the one the daemon passes", async () => {
  const { FakeClock: SchedulerFakeClock } = await import("../_helpers/fake_clock.ts");
  const root = await makeTree(["certs/a.pem"]);
  const clock = new SchedulerFakeClock();
  const fakes: FakeWatcher[] = [];
  let changes = 0;
  const watcher = await watchCertPaths([`${root}/certs`], {
    onChange: () => changes++,
    clock,
    watchFs(list, { recursive }) {
      const fake = new FakeWatcher(list, recursive);
      fakes.push(fake);
      return fake;
    },
  });
  try {
    fakes[0].push("modify", `${root}/certs/a.pem`);
    await settle();
    assert.equal(clock.timerCount, 1, "the debounce timer is on the given clock");
    await clock.advance(199);
    assert.equal(changes, 0);
    await clock.advance(1);
    assert.equal(changes, 1);
    assert.equal(clock.timerCount, 0);
  } finally {
    await watcher.close();
    await removeTree(root);
  }
});
