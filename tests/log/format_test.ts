import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { formatBody, formatRecord } from "../../src/log/mod.ts";

function record(level: LogRecord["level"], message: unknown[], properties = {}): LogRecord {
  return {
    category: ["stapled", "test"],
    level,
    message,
    rawMessage: "",
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    properties,
  };
}

Deno.test("formatRecord() writes an ISO UTC time, the padded level, [cert] and the message", () => {
  const line = formatRecord(record("warning", ["Expires in ", 3600, "s"], { cert: "/a.pem" }));
  assert.equal(line, "2026-01-02T03:04:05.678Z WARNING  [/a.pem] Expires in 3600s");
});

Deno.test("formatRecord() uses the journal's <N> prefix and no time for journald", () => {
  assert.equal(formatRecord(record("fatal", ["down"]), { prefix: "journal" }), "<2>CRITICAL down");
  assert.equal(formatRecord(record("trace", ["t"]), { prefix: "none" }), "TRACE t");
});

Deno.test("formatBody() renders values on one line and leaves out an empty cert", () => {
  const body = formatBody(record("info", ["Sockets ", ["/a", "/b"], " opts ", { n: 1 }, ""], {
    cert: "",
  }));
  assert.equal(body, 'Sockets [ "/a", "/b" ] opts { n: 1 }');
});
