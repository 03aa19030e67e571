import assert from "node:assert/strict";
import { parseCrtList } from "../../../src/haproxy/config/mod.ts";

Deno.test("parseCrtList() reads the manual's example: options, SNI filters, comments", () => {
  const text = [
    "cert1.pem !*",
    "# comment",
    "cert2.pem [alpn h2,http/1.1]",
    "certW.pem                   *.domain.tld !secure.domain.tld",
    "certS.pem [curves X25519:P-256 ciphers ECDHE-ECDSA-AES256-GCM-SHA384] secure.domain.tld",
    "",
  ].join("\n");
  assert.deepEqual(parseCrtList(text, "/l.txt"), {
    entries: [
      { path: "cert1.pem", line: 1, options: [], filters: ["!*"] },
      { path: "cert2.pem", line: 3, options: ["alpn", "h2,http/1.1"], filters: [] },
      { path: "certW.pem", line: 4, options: [], filters: ["*.domain.tld", "!secure.domain.tld"] },
      {
        path: "certS.pem",
        line: 5,
        options: ["curves", "X25519:P-256", "ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384"],
        filters: ["secure.domain.tld"],
      },
    ],
    warnings: [],
  });
});

Deno.test("parseCrtList() skips blank lines, accepts CRLF and a [ glued to the path", () => {
  const { entries, warnings } = parseCrtList("\r\n  \n/a b.pem\r\nc.pem[alpn h2]x.test\r\n", "l");
  assert.deepEqual(entries, [
    { path: "/a", line: 3, options: [], filters: ["b.pem"] },
    { path: "c.pem", line: 4, options: ["alpn", "h2"], filters: ["x.test"] },
  ]);
  assert.deepEqual(warnings, []);
});

Deno.test("parseCrtList() warns with file:line about lines HAProxy rejects and keeps the rest", () => {
  const text = "[alpn h2] a.pem\nb.pem [x] [y]\nc.pem ] z\nd.pem [x]] z\ne.pem\n";
  const { entries, warnings } = parseCrtList(text, "/etc/l.txt");
  assert.deepEqual(entries.map((e) => e.path), ["e.pem"]);
  assert.deepEqual(warnings, [
    "/etc/l.txt:1: file must start with a cert",
    "/etc/l.txt:2: too many '['",
    "/etc/l.txt:3: missing '['",
    "/etc/l.txt:4: too many ']'",
  ]);
});

Deno.test("parseCrtList() warns about an indented comment, which HAProxy takes for a path", () => {
  const { entries, warnings } = parseCrtList("a.pem\n  # note\n", "l.txt");
  assert.deepEqual(entries.map((e) => e.path), ["a.pem"]);
  assert.deepEqual(warnings, [
    "l.txt:2: indented comment; HAProxy reads '#' as a certificate path",
  ]);
});

Deno.test("parseCrtList() keeps a last line without line feed but warns that HAProxy 2.6 refuses it", () => {
  const { entries, warnings } = parseCrtList("a.pem\nb.pem [alpn h2]", "l.txt");
  assert.deepEqual(entries.map((e) => e.path), ["a.pem", "b.pem"]);
  assert.deepEqual(warnings, [
    "l.txt:2: no line feed at the end of the last line; HAProxy 2.6 rejects the file",
  ]);
});

Deno.test("parseCrtList() takes options after an unclosed [ as filters, as HAProxy does", () => {
  const { entries, warnings } = parseCrtList("a.pem [alpn h2\n", "l.txt");
  assert.deepEqual(entries, [{ path: "a.pem", line: 1, options: [], filters: ["alpn", "h2"] }]);
  assert.deepEqual(warnings, [
    "l.txt:1: '[' without ']'; HAProxy takes the options as SNI filters",
  ]);
});

Deno.test("parseCrtList() reads an empty file as an empty list", () => {
  assert.deepEqual(parseCrtList("", "l.txt"), { entries: [], warnings: [] });
});
