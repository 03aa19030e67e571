import assert from "node:assert/strict";
import { readSocketAddress as parseSocketAddress } from "../../src/haproxy/address.ts";

function target(address: string) {
  const parsed = parseSocketAddress(address);
  assert.ok(parsed.ok, `${address}: ${parsed.ok ? "" : parsed.reason}`);
  return parsed.target;
}

Deno.test("parseSocketAddress() reads UNIX paths and unix@ paths", () => {
  assert.deepEqual(target("/run/haproxy/admin.sock"), {
    transport: "unix",
    path: "/run/haproxy/admin.sock",
  });
  assert.deepEqual(target("unix@/run/a.sock"), { transport: "unix", path: "/run/a.sock" });
  assert.deepEqual(target("unix@relative.sock"), { transport: "unix", path: "relative.sock" });
  // Without a colon, a name is a socket path too (the original's -s took paths).
  assert.deepEqual(target("relative.sock"), { transport: "unix", path: "relative.sock" });
});

Deno.test("parseSocketAddress() reads IPv4 and host:port forms as TCP", () => {
  assert.deepEqual(target("ipv4@127.0.0.1:9999"), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 9999,
  });
  assert.deepEqual(target("10.0.0.1:80"), { transport: "tcp", hostname: "10.0.0.1", port: 80 });
  assert.deepEqual(target("localhost:9999"), {
    transport: "tcp",
    hostname: "localhost",
    port: 9999,
  });
});

Deno.test("parseSocketAddress() connects to loopback when HAProxy listens on all addresses", () => {
  for (const address of [":9999", "*:9999", "0.0.0.0:9999", "ipv4@:9999"]) {
    assert.deepEqual(target(address), { transport: "tcp", hostname: "127.0.0.1", port: 9999 });
  }
  for (const address of ["ipv6@:9999", "ipv6@:::9999", "ipv6@[::]:9999", "[::]:9999"]) {
    assert.deepEqual(target(address), { transport: "tcp", hostname: "::1", port: 9999 }, address);
  }
});

Deno.test("parseSocketAddress() reads IPv6 with or without brackets, the port after the last colon", () => {
  for (const address of ["ipv6@[::1]:9999", "ipv6@::1:9999", "[::1]:9999", "tcp6@::1:9999"]) {
    assert.deepEqual(target(address), { transport: "tcp", hostname: "::1", port: 9999 }, address);
  }
  assert.deepEqual(target("ipv6@[2001:db8::5]:443"), {
    transport: "tcp",
    hostname: "2001:db8::5",
    port: 443,
  });
});

Deno.test("parseSocketAddress() refuses what stapled cannot connect to, saying why", () => {
  const cases: [string, string][] = [
    ["abns@haproxy", "stapled cannot connect to 'abns@' sockets ('abns@haproxy')"],
    ["fd@3", "stapled cannot connect to 'fd@' sockets ('fd@3')"],
    ["udp@:514", "stapled cannot connect to 'udp@' sockets ('udp@:514')"],
    ["foo@bar", "unknown address prefix 'foo@' in 'foo@bar'"],
    ["unix@", "missing socket path in 'unix@'"],
    ["127.0.0.1", "missing port in '127.0.0.1'"],
    [":0", "invalid port '0' in ':0'"],
    [":70000", "invalid port '70000' in ':70000'"],
    [":http", "invalid port 'http' in ':http'"],
    [":80-81", "port ranges are not allowed for a stats socket (':80-81')"],
  ];
  for (const [address, reason] of cases) {
    assert.deepEqual(parseSocketAddress(address), { ok: false, reason }, address);
  }
});
