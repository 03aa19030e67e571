/**
 * `deno task build` (and `deno task build:all`): compiles main.ts into a
 * single binary with `deno compile`, carrying exactly the permission flags of
 * `deno task start` (scripts/lib/permissions.ts), no `--allow-all`.
 *
 * `deno compile` downloads Deno's runtime (denort) for each target from
 * dl.deno.land. Where that is impossible it stops with one message saying
 * what is missing and how to provide it.
 *
 * Usage: deno task build [--all] [--out-dir DIR]
 *
 * @module
 */
import { RUNTIME_PERMISSIONS } from "./lib/permissions.ts";

const HOST = Deno.build.target;
const ALL = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

function denoDir(): string {
  return Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "~"}/.cache/deno`;
}

function missingRuntime(target: string, out: string): string {
  const version = Deno.version.deno;
  const zip = `denort-${target}.zip`;
  return [
    `deno task build: cannot build ${out}: \`deno compile\` needs Deno's runtime for ${target} (denort ${version}),`,
    `and https://dl.deno.land/release/v${version}/${zip} cannot be downloaded from this machine.`,
    "Provide it in one of these ways:",
    `  - run \`deno task build\` on a machine with internet access (Deno ${version}) and copy ${out} here;`,
    `  - download that zip elsewhere and put it at ${denoDir()}/dl/release/v${version}/${zip};`,
    `  - or set DENORT_BIN to an unzipped denort ${version} binary for ${target} (not the deno binary itself).`,
  ].join("\n");
}

const outDir = arg("--out-dir") ?? new URL("../dist", import.meta.url).pathname;
const targets = Deno.args.includes("--all") ? ALL : [HOST];
const main = new URL("../main.ts", import.meta.url).pathname;
await Deno.mkdir(outDir, { recursive: true });
let failed = false;
for (const target of targets) {
  const out = target === HOST
    ? `${outDir}/stapled`
    : `${outDir}/stapled-${target.split("-")[0]}-linux`;
  const args = [
    "compile",
    "--quiet",
    ...RUNTIME_PERMISSIONS,
    "--target",
    target,
    "--output",
    out,
    main,
  ];
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  })
    .output();
  const stderr = new TextDecoder().decode(result.stderr);
  if (result.success) {
    console.log(`built ${out} (${target}) with ${RUNTIME_PERMISSIONS.join(" ")}`);
    continue;
  }
  failed = true;
  if (/denort|dl\.deno\.land|Setting up base binary/.test(stderr)) {
    console.error(missingRuntime(target, out));
  } else {
    const first = stderr.split("\n").find((l) => l.startsWith("error:")) ?? stderr.split("\n")[0];
    console.error(
      `deno task build: deno compile failed for ${target}: ${first.replace(/^error:\s*/, "")}`,
    );
  }
}
Deno.exit(failed ? 1 : 0);
