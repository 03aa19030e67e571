import assert from "node:assert/strict";
import { ConfigError } from "../../../src/errors/mod.ts";
import { formatSocketAddress, parseSocketAddress } from "../../../src/haproxy/address.ts";

Deno.test("parseSocketAddress() reads paths as unix sockets, as HAProxy does", () => {
  assert.deepEqual(parseSocketAddress("/run/haproxy/admin.sock"), {
    transport: "unix",
    path: "/run/haproxy/admin.sock",
  });
  assert.deepEqual(parseSocketAddress("unix@admin.sock"), {
    transport: "unix",
    path: "admin.sock",
  });
  assert.deepEqual(parseSocketAddress("admin.sock"), { transport: "unix", path: "admin.sock" });
  assert.deepEqual(parseSocketAddress("/odd:dir/a.sock"), {
    transport: "unix",
    path: "/odd:dir/a.sock",
  });
});

Deno.test("parseSocketAddress() reads ipv4@, ipv6@ and host:port as TCP", () => {
  const tcp = (hostname: string, port: number) => ({ transport: "tcp", hostname, port });
  assert.deepEqual(parseSocketAddress("ipv4@127.0.0.1:9999"), tcp("127.0.0.1", 9999));
  assert.deepEqual(parseSocketAddress("127.0.0.1:9999"), tcp("127.0.0.1", 9999));
  assert.deepEqual(parseSocketAddress("ipv6@::1:9999"), tcp("::1", 9999));
  assert.deepEqual(parseSocketAddress("[::1]:9999"), tcp("::1", 9999));
  assert.deepEqual(parseSocketAddress("ipv4@:9999"), tcp("127.0.0.1", 9999));
  assert.deepEqual(parseSocketAddress("*:9999"), tcp("127.0.0.1", 9999));
  assert.deepEqual(parseSocketAddress("ipv6@:9999"), tcp("::1", 9999));
});

Deno.test("parseSocketAddress() refuses bad ports, empty texts and families Deno cannot reach", () => {
  assert.throws(
    () => parseSocketAddress("ipv4@127.0.0.1:99999"),
    new ConfigError(
      "",
      "Cannot use HAProxy socket 'ipv4@127.0.0.1:99999': invalid port '99999' in 'ipv4@127.0.0.1:99999'",
    ),
  );
  assert.throws(() => parseSocketAddress("ipv4@127.0.0.1"), ConfigError);
  assert.throws(() => parseSocketAddress("127.0.0.1:http"), ConfigError);
  assert.throws(() => parseSocketAddress(""), ConfigError);
  assert.throws(
    () => parseSocketAddress("abns@haproxy"),
    new ConfigError(
      "",
      "Cannot use HAProxy socket 'abns@haproxy': stapled cannot connect to 'abns@' sockets ('abns@haproxy')",
    ),
  );
});

Deno.test("formatSocketAddress() names a socket by path or host:port", () => {
  assert.equal(formatSocketAddress({ transport: "unix", path: "/run/a.sock" }), "/run/a.sock");
  assert.equal(
    formatSocketAddress({ transport: "tcp", hostname: "127.0.0.1", port: 80 }),
    "127.0.0.1:80",
  );
  assert.equal(formatSocketAddress({ transport: "tcp", hostname: "::1", port: 80 }), "[::1]:80");
});
