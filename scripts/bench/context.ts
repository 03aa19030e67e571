/**
 * What the benchmarks share in one run: a scratch directory removed at the
 * end, one EC PKI whose leaves name one pre-signed responder, and
 * directories of certificate bundles made once and reused.
 *
 * @module
 */
import { type BenchLeaf, BenchPki } from "./fixtures.ts";
import { type PresignedResponder, startPresignedResponder } from "./responder.ts";

/** Options of {@linkcode BenchContext.create}. */
export interface BenchContextOptions {
  /** Smaller runs. @default false */
  quick?: boolean;
  /** Where progress lines go. @default a line on stderr */
  progress?: (message: string) => void;
}

function printProgress(message: string): void {
  console.error(`  .. ${message}`);
}

/** The shared state of one `deno task bench` run. */
export class BenchContext {
  /** Whether this is a `--quick` run. */
  readonly quick: boolean;
  /** The scratch directory. */
  readonly root: string;
  #progress: (message: string) => void;
  #pki?: Promise<BenchPki>;
  #responder?: PresignedResponder;
  #leaves: BenchLeaf[] = [];
  #bundleDirs = new Map<number, Promise<string>>();
  #warm = new Map<string, string>();

  private constructor(root: string, options: BenchContextOptions) {
    this.root = root;
    this.quick = options.quick ?? false;
    this.#progress = options.progress ?? printProgress;
  }

  /**
   * Makes the scratch directory.
   *
   * @param options Quick mode and progress output.
   * @returns The context; `close()` it.
   */
  static async create(options: BenchContextOptions = {}): Promise<BenchContext> {
    return new BenchContext(await Deno.makeTempDir({ prefix: "stapled-bench-" }), options);
  }

  /**
   * Says what is happening (on stderr, between the results).
   *
   * @param message One line.
   */
  progress(message: string): void {
    this.#progress(message);
  }

  /**
   * A new directory under the scratch directory.
   *
   * @param name Its name's prefix.
   * @returns Its path.
   */
  tempDir(name: string): Promise<string> {
    return Deno.makeTempDir({ dir: this.root, prefix: `${name}-` });
  }

  /** The EC PKI (root, issuing CA, delegated responder). */
  pki(): Promise<BenchPki> {
    return this.#pki ??= BenchPki.create({ key: "ec" });
  }

  /** The pre-signed responder every shared leaf names, started on first use. */
  responder(): PresignedResponder {
    return this.#responder ??= startPresignedResponder();
  }

  /**
   * The first `count` shared leaves (made on demand), each with a good
   * response, signed by the CA, in the responder.
   *
   * @param count How many.
   * @returns The leaves.
   */
  async leaves(count: number): Promise<BenchLeaf[]> {
    const missing = count - this.#leaves.length;
    if (missing > 0) {
      const pki = await this.pki();
      const started = performance.now();
      const made = await pki.leaves(missing, this.responder().url);
      this.responder().add(await pki.responses(made));
      this.#leaves.push(...made);
      this.progress(
        `made ${missing} leaf certificates and their OCSP responses in ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s`,
      );
    }
    return this.#leaves.slice(0, count);
  }

  /**
   * A directory holding the bundles of the first `count` shared leaves
   * (leaf, issuing CA, key), written once per run and shared by the
   * benchmarks; staples left in it by one are removed by the next as needed.
   *
   * @param count How many bundles.
   * @returns The directory.
   */
  bundleDir(count: number): Promise<string> {
    let dir = this.#bundleDirs.get(count);
    if (!dir) {
      dir = (async () => {
        const leaves = await this.leaves(count);
        const path = await this.tempDir(`bundles-${count}`);
        await (await this.pki()).writeBundles(path, leaves);
        return path;
      })();
      this.#bundleDirs.set(count, dir);
    }
    return dir;
  }

  /**
   * Writes the pre-signed response of each of the first `count` shared
   * leaves as its bundle's staple (`<bundle>.ocsp`) in a directory of
   * {@linkcode bundleDir}, as if stapled had fetched it, without asking
   * the responder. The directory is no longer warm ({@linkcode markWarm}).
   *
   * @param dir The directory (`bundleDir(count)` or a larger one).
   * @param count How many staples.
   *
   * @example Staples written, the directory no longer warm
   * ```ts
   * import { BenchContext } from "./context.ts";
   * const ctx = await BenchContext.create({ progress: () => {} });
   * try {
   *   const dir = await ctx.bundleDir(2);
   *   ctx.markWarm(dir, "/nonexistent/state");
   *   console.assert(ctx.warmStateDir(dir) === "/nonexistent/state");
   *   await ctx.writeStaples(dir, 2);
   *   console.assert(await ctx.countStaples(dir) === 2 && ctx.warmStateDir(dir) === undefined);
   * } finally {
   *   await ctx.close();
   * }
   * ```
   */
  async writeStaples(dir: string, count: number): Promise<void> {
    this.#warm.delete(dir);
    const leaves = await this.leaves(count);
    for (let i = 0; i < leaves.length; i += 256) {
      await Promise.all(
        leaves.slice(i, i + 256).map((leaf) => {
          const der = this.responder().get(leaf.serialHex);
          if (!der) throw new Error(`Cannot write staples: no response for ${leaf.name}`);
          return Deno.writeFile(`${dir}/${leaf.name}.pem.ocsp`, der);
        }),
      );
    }
  }

  /**
   * Records that every staple in `dir` is valid and that `stateDir` holds
   * stapled's record of having verified them (a one-off with
   * `--state-dir stateDir` ran over `dir` last), so a later benchmark can
   * start warm without preparing it again. {@linkcode removeStaples} and
   * {@linkcode writeStaples} forget it.
   *
   * @param dir The bundles' directory.
   * @param stateDir The state directory.
   */
  markWarm(dir: string, stateDir: string): void {
    this.#warm.set(dir, stateDir);
  }

  /**
   * The state directory recorded by {@linkcode markWarm} for `dir`.
   *
   * @param dir The bundles' directory.
   * @returns The state directory, if `dir` is still warm.
   */
  warmStateDir(dir: string): string | undefined {
    return this.#warm.get(dir);
  }

  /**
   * Takes the staples (`*.ocsp`) out of a directory (it is no longer warm):
   * moves them into a fresh directory of the scratch tree, removed with it
   * at {@linkcode close}, instead of deleting them. On a journal-less ext4
   * (this VM's scratch), every file created within minutes of a mass
   * deletion first walks past the inodes just freed (`find_inode_bit` ->
   * `recently_deleted`, a quarter of all CPU samples in `perf`): deleting
   * 10,000 staples before a cold run doubled its kernel time, which a
   * server's real first run does not pay.
   *
   * @param dir The directory.
   * @returns How many were taken out.
   */
  async removeStaples(dir: string): Promise<number> {
    this.#warm.delete(dir);
    let removed = 0;
    let trash: string | undefined;
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".ocsp")) {
        trash ??= await this.tempDir("removed-staples");
        await Deno.rename(`${dir}/${entry.name}`, `${trash}/${entry.name}`);
        removed++;
      }
    }
    return removed;
  }

  /**
   * Counts the non-empty staples in a directory.
   *
   * @param dir The directory.
   * @returns How many `*.ocsp` files hold bytes.
   */
  async countStaples(dir: string): Promise<number> {
    let count = 0;
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".ocsp")) continue;
      if ((await Deno.stat(`${dir}/${entry.name}`)).size > 0) count++;
    }
    return count;
  }

  /** Stops the responder and removes the scratch directory. */
  async close(): Promise<void> {
    await this.#responder?.close();
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }
}
