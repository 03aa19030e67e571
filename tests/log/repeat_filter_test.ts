import assert from "node:assert/strict";
import { RepeatFilter, repeatNote } from "../../src/log/mod.ts";

Deno.test("RepeatFilter logs the first message and counts repeats silently", () => {
  const filter = new RepeatFilter();
  assert.deepEqual(filter.check("a.pem", "timeout"), { log: true, repeated: 0 });
  assert.deepEqual(filter.check("a.pem", "timeout"), { log: false, repeated: 1 });
  assert.deepEqual(filter.check("a.pem", "timeout"), { log: false, repeated: 2 });
});

Deno.test("RepeatFilter logs a changed message with the previous one's repeat count", () => {
  const filter = new RepeatFilter();
  filter.check("a.pem", "timeout");
  filter.check("a.pem", "timeout");
  filter.check("a.pem", "timeout");
  assert.deepEqual(filter.check("a.pem", "tryLater"), { log: true, repeated: 2 });
  assert.deepEqual(filter.check("a.pem", "timeout"), { log: true, repeated: 0 });
});

Deno.test("RepeatFilter keeps subjects apart", () => {
  const filter = new RepeatFilter();
  filter.check("a.pem", "timeout");
  assert.deepEqual(filter.check("b.pem", "timeout"), { log: true, repeated: 0 });
  assert.deepEqual(filter.check("a.pem", "timeout"), { log: false, repeated: 1 });
  assert.equal(filter.size, 2);
});

Deno.test("RepeatFilter.clear() returns the count on recovery and starts afresh", () => {
  const filter = new RepeatFilter();
  assert.equal(filter.clear("a.pem"), undefined);
  filter.check("a.pem", "timeout");
  filter.check("a.pem", "timeout");
  assert.equal(filter.clear("a.pem"), 1);
  assert.equal(filter.size, 0);
  assert.deepEqual(filter.check("a.pem", "timeout"), { log: true, repeated: 0 });
});

Deno.test("repeatNote() says nothing for no repeats and counts otherwise", () => {
  assert.equal(repeatNote(0), "");
  assert.equal(repeatNote(undefined), "");
  assert.equal(repeatNote(1), " (previous message repeated 1 time)");
  assert.equal(repeatNote(5), " (previous message repeated 5 times)");
});
