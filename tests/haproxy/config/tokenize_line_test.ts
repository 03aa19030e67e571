import assert from "node:assert/strict";
import {
  MAX_EXPANDED_LINE,
  MAX_LINE_WORDS,
  tokenizeHaproxyLine,
} from "../../../src/haproxy/config/mod.ts";
import { envOf } from "./_helpers.ts";

function words(line: string, vars: Record<string, string> = {}): string[] {
  const result = tokenizeHaproxyLine(line, { env: envOf(vars) });
  assert.equal(result.error, undefined, `unexpected error for ${JSON.stringify(line)}`);
  return result.words;
}

Deno.test("tokenizeHaproxyLine() splits on unescaped spaces and tabs and skips leading blanks", () => {
  assert.deepEqual(words("  \tbind  :443\tssl   crt a.pem  "), [
    "bind",
    ":443",
    "ssl",
    "crt",
    "a.pem",
  ]);
  assert.deepEqual(words(""), []);
  assert.deepEqual(words("   "), []);
});

Deno.test("tokenizeHaproxyLine() starts a comment at an unquoted # even inside a word", () => {
  assert.deepEqual(words("crt a.pem#b.pem"), ["crt", "a.pem"]);
  assert.deepEqual(words("# whole line"), []);
  assert.deepEqual(words(`crt "a#b" 'c#d' e\\#f # comment`), ["crt", "a#b", "c#d", "e#f"]);
});

Deno.test("tokenizeHaproxyLine() unescapes space, #, backslash, quotes, \\t \\n \\r and \\xNN", () => {
  assert.deepEqual(words(String.raw`a\ b c\\d \'e\' \"f\"`), ["a b", "c\\d", "'e'", '"f"']);
  assert.deepEqual(words(String.raw`\t\n\r \x41\x7a`), ["\t\n\r", "Az"]);
});

Deno.test("tokenizeHaproxyLine() keeps unknown escape pairs such as \\1 as they are", () => {
  assert.deepEqual(words(String.raw`regsub(a,\1) \z`), [String.raw`regsub(a,\1)`, String.raw`\z`]);
});

Deno.test("tokenizeHaproxyLine() treats \\$ as an escape only inside double quotes", () => {
  assert.deepEqual(words(String.raw`\$HOME "\$HOME"`, { HOME: "/root" }), ["\\$HOME", "$HOME"]);
});

Deno.test("tokenizeHaproxyLine() expands variables only inside double quotes", () => {
  const env = { DIR: "/etc/ssl", EMPTY: "" };
  assert.deepEqual(words(`$DIR "$DIR/a" "\${DIR}b"`, env), ["$DIR", "/etc/ssl/a", "/etc/sslb"]);
  assert.deepEqual(words(`'$DIR' '\${DIR}'`, env), ["$DIR", "${DIR}"]);
});

Deno.test("tokenizeHaproxyLine() uses ${VAR-default} only when VAR is unset, not when empty", () => {
  const env = { SET: "x", EMPTY: "" };
  assert.deepEqual(words(`"\${SET-d}" "\${NOPE-d e f}" "[\${EMPTY-d}]"`, env), [
    "x",
    "d e f",
    "[]",
  ]);
});

Deno.test("tokenizeHaproxyLine() makes an unset variable an empty word", () => {
  assert.deepEqual(words(`a "$NOPE" b`), ["a", "", "b"]);
});

Deno.test("tokenizeHaproxyLine() splits ${VAR[*]} into one word per item", () => {
  assert.deepEqual(words(`bind "\${ADDRS[*]}" ssl`, { ADDRS: ":443  :8443" }), [
    "bind",
    ":443",
    ":8443",
    "ssl",
  ]);
});

Deno.test("tokenizeHaproxyLine() knows the .FILE, .LINE and .SECTION pseudo-variables", () => {
  const result = tokenizeHaproxyLine(`x "\${.FILE}:\${.LINE}" "$.SECTION"`, {
    file: "/etc/h.cfg",
    lineNumber: 7,
    section: "front",
  });
  assert.deepEqual(result.words, ["x", "/etc/h.cfg:7", "front"]);
});

Deno.test("tokenizeHaproxyLine() has no line continuation: a trailing backslash is literal", () => {
  assert.deepEqual(words("crt a.pem \\"), ["crt", "a.pem", "\\"]);
});

Deno.test("tokenizeHaproxyLine() joins adjacent quoted and unquoted parts into one word", () => {
  assert.deepEqual(words(`"a b"'c d'e\\ f`), ["a bc de f"]);
});

Deno.test("tokenizeHaproxyLine() keeps an empty quoted word inside a line but drops it at the end", () => {
  assert.deepEqual(words(`a "" b ""`), ["a", "", "b"]);
  assert.deepEqual(words(`a "" `), ["a", ""]);
});

Deno.test("tokenizeHaproxyLine() ends a line at CR or NUL", () => {
  assert.deepEqual(words("a b\r c"), ["a", "b"]);
  assert.deepEqual(words("a b\0c"), ["a", "b"]);
});

Deno.test("tokenizeHaproxyLine() reports what HAProxy rejects, with the position", () => {
  const cases: [string, string][] = [
    [`crt "a.pem`, "unmatched quote at position 5"],
    [`crt 'a.pem`, "unmatched quote at position 5"],
    [String.raw`a\x4`, "truncated or invalid hexadecimal sequence at position 2"],
    [`"price $5"`, "forbidden first char in environment variable name at position 9"],
    [`"$"`, "forbidden first char in environment variable name at position 3"],
    [`"\${VAR"`, "unmatched brace in environment variable name at position 3"],
    [`"\${VAR-x"`, "unmatched brace in environment variable name at position 3"],
    [`"\${VAR[x]}"`, "truncated or invalid word expansion sequence at position 7"],
    [`"$.NOPE"`, "forbidden first char in environment variable name at position 3"],
  ];
  for (const [line, error] of cases) {
    assert.deepEqual(tokenizeHaproxyLine(line), { words: [], error }, line);
  }
});

Deno.test("tokenizeHaproxyLine() accepts 64 words and rejects a 65th, even an empty trailing one", () => {
  const many = Array.from({ length: MAX_LINE_WORDS }, (_, i) => `w${i}`);
  assert.equal(words(many.join(" ")).length, 64);
  assert.match(tokenizeHaproxyLine(`${many.join(" ")} extra`).error ?? "", /too many words/);
  assert.match(tokenizeHaproxyLine(`${many.join(" ")} `).error ?? "", /too many words/);
});

Deno.test("tokenizeHaproxyLine() rejects a line longer than 64 KiB after expansion without expanding the rest", () => {
  const big = "x".repeat(1024 * 1024);
  let lookups = 0;
  const env = (name: string) => {
    lookups++;
    return name === "BIG" ? big : undefined;
  };
  const line = `bind :443 ssl crt ${'"$BIG" '.repeat(600)}`;
  const result = tokenizeHaproxyLine(line, { env });
  assert.deepEqual(result, {
    words: [],
    error: `line longer than ${MAX_EXPANDED_LINE} characters after variable expansion`,
  });
  assert.equal(lookups, 1, "it stops at the first expansion past the limit");
});

Deno.test("tokenizeHaproxyLine() accepts a line of exactly 64 KiB and rejects one character more", () => {
  const fill = (n: number) => `a ${"b".repeat(n - 1)}`; // "a" + n-1 "b"s = n characters in words
  assert.equal(MAX_EXPANDED_LINE, 65_536);
  assert.equal(words(fill(MAX_EXPANDED_LINE)).join("").length, MAX_EXPANDED_LINE);
  assert.match(tokenizeHaproxyLine(fill(MAX_EXPANDED_LINE + 1)).error ?? "", /longer than 65536/);
  const half = "y".repeat(MAX_EXPANDED_LINE / 2);
  assert.equal(words(`"$V" "$V"`, { V: half }).join("").length, MAX_EXPANDED_LINE);
  assert.match(
    tokenizeHaproxyLine(`"$V" "$V" z`, { env: envOf({ V: half }) }).error ?? "",
    /longer than/,
  );
  assert.match(
    tokenizeHaproxyLine(`"\${V[*]}"`, { env: envOf({ V: `${half} ${half}` }) }).error ?? "",
    /longer than/,
    "a word-splitting expansion counts its spaces",
  );
});

Deno.test("tokenizeHaproxyLine() does not count a long comment against the limit", () => {
  assert.deepEqual(words(`crt a.pem # ${"c".repeat(200_000)}`), ["crt", "a.pem"]);
});
