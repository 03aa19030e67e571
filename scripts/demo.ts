/**
 * `deno task demo`: stapled's main job on a throwaway setup that needs
 * nothing but Deno. It makes a CA and an intermediate, starts an OCSP
 * responder written in Deno on 127.0.0.1, writes a few certificate bundles
 * to a temp directory (good, revoked, without OCSP URL, issuer in a
 * `.issuer` file), runs `stapled --one-off` against them exactly as an
 * operator would (a child process with the binary's permissions), prints
 * what it did, and cleans everything up.
 *
 * @module
 */
import "reflect-metadata";
import { TestCa, writeBundle } from "./lib/pki.ts";
import { caHandler, startResponder } from "./lib/ocsp_responder.ts";
import { RUNTIME_PERMISSIONS } from "./lib/permissions.ts";

const say = (s = "") => console.log(s);
const dir = await Deno.makeTempDir({ prefix: "stapled-demo-" });
const status = new Map<string, "good" | "revoked">();
const root = await TestCa.root("Demo Root CA");
const ca = await root.intermediate("Demo Issuing CA");
const responder = startResponder(caHandler(ca, status));
let code = 1;
try {
  say(
    `stapled demo: a throwaway CA, an OCSP responder at ${responder.url}, certificates in ${dir}\n`,
  );
  const urls = { ocspUrls: [responder.url] };
  const good = await ca.leaf("www.example.test", urls);
  const shop = await ca.leaf("shop.example.test", urls);
  const revoked = await ca.leaf("old.example.test", urls);
  const legacy = await ca.leaf("legacy.example.test");
  status.set(good.serial, "good");
  status.set(shop.serial, "good");
  status.set(revoked.serial, "revoked");
  await writeBundle(`${dir}/www.example.test.pem`, good, [ca]);
  await writeBundle(`${dir}/shop.example.test.pem`, shop, []);
  await Deno.writeTextFile(`${dir}/shop.example.test.pem.issuer`, ca.pem);
  await writeBundle(`${dir}/old.example.test.pem`, revoked, [ca]);
  await writeBundle(`${dir}/legacy.example.test.pem`, legacy, [ca]);

  const args = [
    ...RUNTIME_PERMISSIONS,
    new URL("../main.ts", import.meta.url).pathname,
    "--one-off",
    "-p",
    dir,
  ];
  say(`$ stapled --one-off -p ${dir}`);
  const child = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  say(`(exit status ${child.code}: 1 because one certificate is revoked)\n`);
  const again = await new Deno.Command(Deno.execPath(), { args: [...args, "-q"], stdout: "piped" })
    .output();
  say(`$ stapled --one-off -q -p ${dir}   # a second run reuses the valid staples`);
  await Deno.stdout.write(again.stdout);
  say();
  say("Files now in the directory:");
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    say(`  ${e.name.padEnd(36)} ${Deno.statSync(`${dir}/${e.name}`).size} bytes`);
  }
  say(
    `\nThe responder answered ${responder.requests.length} requests. HAProxy would serve the .ocsp files as they are.`,
  );
  code = child.code === 1 ? 0 : 1;
} finally {
  await responder.close();
  await Deno.remove(dir, { recursive: true });
  say("Cleaned up.");
}
Deno.exit(code);
