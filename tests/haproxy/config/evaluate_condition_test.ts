import assert from "node:assert/strict";
import { evaluateHaproxyCondition } from "../../../src/haproxy/config/mod.ts";
import { envOf } from "./_helpers.ts";

function value(text: string, haproxyVersion?: string) {
  return evaluateHaproxyCondition(text, { env: envOf({ SET: "x", EMPTY: "" }), haproxyVersion })
    .value;
}

Deno.test("evaluateHaproxyCondition() reads integers as C's strtol(): 0 is false, others true", () => {
  for (const text of ["0", "00", "0x0", " 0", "-0"]) assert.equal(value(text), false, text);
  for (const text of ["1", "2", "-1", "0x10", "010", "+7"]) assert.equal(value(text), true, text);
});

Deno.test("evaluateHaproxyCondition() finds an empty condition false", () => {
  assert.deepEqual(evaluateHaproxyCondition(""), { value: false });
  assert.deepEqual(evaluateHaproxyCondition("  "), { value: false });
});

Deno.test("evaluateHaproxyCondition() says a variable is defined even when empty", () => {
  assert.equal(value("defined(SET)"), true);
  assert.equal(value("defined(EMPTY)"), true);
  assert.equal(value("defined(NOPE)"), false);
});

Deno.test("evaluateHaproxyCondition() compares arguments verbatim, spaces and quotes handled", () => {
  assert.equal(value("streq(a,a)"), true);
  assert.equal(value("streq(a, a)"), false);
  assert.equal(value(`streq("a,b",'a,b')`), true);
  assert.equal(value(String.raw`streq(a\ b,"a b")`), true);
  assert.equal(value("strneq(yes,no)"), true);
  assert.equal(value("strneq(,)"), false);
  assert.equal(value("strstr(haystack,st)"), true);
});

Deno.test("evaluateHaproxyCondition() applies !, parentheses, and && before ||", () => {
  assert.equal(value("!0"), true);
  assert.equal(value("!!1"), true);
  assert.equal(value("! defined(NOPE)"), true);
  assert.equal(value("1 || 0 && 0"), true);
  assert.equal(value("(1 || 0) && 0"), false);
  assert.equal(value("!(0 || 0) && streq(a,a)"), true);
});

Deno.test("evaluateHaproxyCondition() compares versions with an assumed HAProxy 2.6", () => {
  assert.equal(value("version_atleast(2.4-dev19)"), true);
  assert.equal(value("version_atleast(2.6)"), true);
  assert.equal(value("version_atleast(2.6.0)"), true);
  assert.equal(value("version_atleast(2.7)"), false);
  assert.equal(value("version_before(3.0)"), true);
  assert.equal(value("version_before(2.6)"), false);
  assert.equal(value("version_before(2.6-rc1)"), false);
});

Deno.test("evaluateHaproxyCondition() leaves a finer version than the assumed one undecided", () => {
  const result = evaluateHaproxyCondition("version_atleast(2.6.5)");
  assert.equal(result.value, "unknown");
  assert.equal(result.reason, "version_atleast(2.6.5) against assumed HAProxy 2.6");
  assert.equal(value("version_atleast(2.6.5)", "2.6.12"), true);
  assert.equal(value("version_before(2.6.13)", "2.6.12"), true);
});

Deno.test("evaluateHaproxyCondition() cannot tell build-dependent predicates, unless the rest decides", () => {
  assert.deepEqual(evaluateHaproxyCondition("feature(OPENSSL)"), {
    value: "unknown",
    reason: "feature(OPENSSL) depends on how HAProxy was built",
  });
  assert.equal(value("!feature(QUIC)"), "unknown");
  assert.equal(value("1 || feature(QUIC)"), true);
  assert.equal(value("0 && openssl_version_atleast(3.0)"), false);
  assert.equal(value("1 && ssllib_name_startswith(OpenSSL)"), "unknown");
});

Deno.test("evaluateHaproxyCondition() gives unknown with the reason for syntax HAProxy refuses", () => {
  const cases: [string, string][] = [
    ["streq(a)", "missing arguments (got 1/2) to predicate 'streq'"],
    ["defined (X)", "missing arguments (got 0/1) to predicate 'defined'"],
    ["defined(a,b)", "expected ')' after the arguments of 'defined'"],
    ["streq(a,b", "expected ')' after the arguments of 'streq'"],
    ["nope(1)", "unparsable conditional expression 'nope(1)'"],
    ["(1", "expected ')' after conditional expression"],
    ["1 2", "unexpected character '2' at the end of conditional expression"],
    ["1 &&", "unparsable conditional expression '1 &&'"],
  ];
  for (const [text, reason] of cases) {
    assert.deepEqual(evaluateHaproxyCondition(text), { value: "unknown", reason }, text);
  }
});

Deno.test("evaluateHaproxyCondition() reads long chains of && and ||", () => {
  assert.equal(value(`${Array(300).fill("0").join(" || ")} || 1`), true);
  assert.equal(value(`${Array(300).fill("1").join(" && ")} && 0`), false);
});

Deno.test("evaluateHaproxyCondition() refuses deep nesting without overflowing the stack", () => {
  const deep = "(".repeat(10_000) + "1" + ")".repeat(10_000);
  assert.deepEqual(evaluateHaproxyCondition(deep), {
    value: "unknown",
    reason: "expression nested too deeply",
  });
});
