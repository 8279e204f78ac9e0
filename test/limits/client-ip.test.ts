import { test, expect, describe } from "bun:test";
import { clientIp, compileCidrs, CidrSet } from "../../src/limits/client-ip.ts";

function set(list: string[]): CidrSet {
  const s = compileCidrs(list);
  if (!(s instanceof CidrSet)) throw new Error(s.error);
  return s;
}

describe("compileCidrs", () => {
  test.each([
    [["10.0.0.0/8"], "10.255.1.2", true],
    [["10.0.0.0/8"], "11.0.0.1", false],
    [["192.168.1.1/24"], "192.168.1.200", true], // host bits ignored
    [["192.0.2.7"], "192.0.2.7", true],
    [["192.0.2.7"], "192.0.2.8", false],
    [["0.0.0.0/0"], "203.0.113.9", true],
    [["0.0.0.0/0"], "2001:db8::1", false],
    [["2001:db8::/32"], "2001:db8:1234::1", true],
    [["2001:db8::/32"], "2001:db9::1", false],
    [["2001:DB8::/32"], "2001:db8::1", true],
    [["::1"], "::1", true],
    [["::1"], "::2", false],
    [["fe80::/10"], "fe80::1%eth0", true],
    [["2001:db8::/127"], "2001:db8::1", true],
    [["2001:db8::/127"], "2001:db8::2", false],
    [["::ffff:10.0.0.0/104"], "10.1.2.3", true], // = 10.0.0.0/8
    [["::ffff:10.0.0.0/104"], "11.1.2.3", false],
    [["::ffff:1.2.3.4"], "1.2.3.4", true],
    [["1.2.3.4"], "::ffff:1.2.3.4", true], // mapped is IPv4
    [["1.2.3.4"], "::ffff:102:304", true], // hex form too
    [["10.0.0.0/8"], "::ffff:10.9.9.9", true],
    [["::/0"], "10.0.0.1", true], // ::/0 holds ::ffff:0:0/96
    [["::/0"], "2001:db8::1", true],
    [[" 10.0.0.1 "], "10.0.0.1", true],
    [["10.0.0.0/8", "2001:db8::/32"], "2001:db8::5", true],
    [[], "10.0.0.1", false],
  ] as const)("%p has %p: %p", (list, address, expected) => {
    expect(set([...list]).has(address)).toBe(expected);
  });

  test.each(["", "10.0.0", "10.0.0.256", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/x", "2001:db8::/129", "2001:::1", "fe80::1%eth0", "example.com", "010.0.0.1"])(
    "%p is refused",
    (entry) => {
      const r = compileCidrs(["10.0.0.0/8", entry]);
      expect(r).not.toBeInstanceOf(CidrSet);
      expect((r as { error: string }).error).toContain(JSON.stringify(entry));
    },
  );

  test("the empty set is marked empty", () => {
    expect(set([]).isEmpty).toBe(true);
    expect(set(["::1"]).isEmpty).toBe(false);
  });

  test("unparseable addresses are never trusted", () => {
    const all = set(["0.0.0.0/0", "::/0"]);
    for (const bad of ["", "unknown", "1.2.3", "1.2.3.4.5", ":::", "1::2::3", "12345::1", "::ffff:1.2.3"]) {
      expect(all.has(bad)).toBe(false);
    }
  });
});

describe("clientIp", () => {
  const proxies = set(["10.0.0.0/8", "fd00::/8"]);
  test.each([
    ["no trusted proxies: the peer", [], "10.0.0.1", "1.1.1.1", "10.0.0.1"],
    ["untrusted peer: the peer, whatever the header says", ["10.0.0.0/8"], "203.0.113.5", "1.1.1.1", "203.0.113.5"],
    ["trusted peer, no header: the peer", ["10.0.0.0/8"], "10.0.0.1", null, "10.0.0.1"],
    ["one hop", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7", "198.51.100.7"],
    ["spoofed left part is ignored", ["10.0.0.0/8"], "10.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"],
    ["trusted hops are skipped", ["10.0.0.0/8"], "10.0.0.1", "6.6.6.6, 198.51.100.7, 10.2.2.2, 10.3.3.3", "198.51.100.7"],
    ["all trusted: the leftmost", ["10.0.0.0/8"], "10.0.0.1", "10.1.1.1, 10.2.2.2", "10.1.1.1"],
    ["spaces and tabs", ["10.0.0.0/8"], "10.0.0.1", " 198.51.100.7 ,\t10.2.2.2\t", "198.51.100.7"],
    ["no spaces", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7,10.2.2.2", "198.51.100.7"],
    ["empty entries skipped", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7,, 10.2.2.2, ", "198.51.100.7"],
    ["empty header: the peer", ["10.0.0.0/8"], "10.0.0.1", "", "10.0.0.1"],
    ["garbage at the right: the peer", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7, garbage", "10.0.0.1"],
    ["garbage behind trusted hops: the last good one", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7, garbage, 10.2.2.2", "10.2.2.2"],
    ["garbage left of the client is never reached", ["10.0.0.0/8"], "10.0.0.1", "garbage, 198.51.100.7", "198.51.100.7"],
    ["unknown (RFC 7239 style) stops the walk", ["10.0.0.0/8"], "10.0.0.1", "unknown", "10.0.0.1"],
    ["IPv6 client", ["10.0.0.0/8"], "10.0.0.1", "2001:db8::1", "2001:db8::1"],
    ["IPv6 proxies", ["fd00::/8"], "fd00::1", "2001:db8::7, fd12::9", "2001:db8::7"],
    ["IPv6 peer and IPv4 client", ["fd00::/8"], "fd00::1", "198.51.100.7", "198.51.100.7"],
    ["bracketed IPv6", ["10.0.0.0/8"], "10.0.0.1", "[2001:db8::1]", "2001:db8::1"],
    ["bracketed IPv6 with port", ["10.0.0.0/8"], "10.0.0.1", "[2001:db8::1]:4711", "2001:db8::1"],
    ["IPv4 with port", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7:4711", "198.51.100.7"],
    ["trusted IPv4 with port is skipped", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7, 10.2.2.2:80", "198.51.100.7"],
    ["bad port", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7:http", "10.0.0.1"],
    ["unclosed bracket", ["10.0.0.0/8"], "10.0.0.1", "[2001:db8::1", "10.0.0.1"],
    ["mapped client comes back as IPv4", ["10.0.0.0/8"], "10.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"],
    ["mapped hex client comes back as IPv4", ["10.0.0.0/8"], "10.0.0.1", "::ffff:c633:6407", "198.51.100.7"],
    ["mapped trusted hop is skipped", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.7, ::ffff:10.2.2.2", "198.51.100.7"],
    ["mapped peer is trusted as IPv4", ["10.0.0.0/8"], "::ffff:10.0.0.1", "198.51.100.7", "198.51.100.7"],
    ["leading zeros are garbage", ["10.0.0.0/8"], "10.0.0.1", "198.051.100.7", "10.0.0.1"],
    ["out-of-range octet is garbage", ["10.0.0.0/8"], "10.0.0.1", "198.51.100.256", "10.0.0.1"],
    ["too many IPv6 groups", ["10.0.0.0/8"], "10.0.0.1", "1:2:3:4:5:6:7:8:9", "10.0.0.1"],
    ["full IPv6 form", ["10.0.0.0/8"], "10.0.0.1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:0db8:0000:0000:0000:0000:0000:0001"],
    ["embedded IPv4 in IPv6", ["10.0.0.0/8"], "10.0.0.1", "64:ff9b::198.51.100.7", "64:ff9b::198.51.100.7"],
  ] as const)("%s", (_name, list, peer, xff, expected) => {
    expect(clientIp(peer, xff, set([...list]))).toBe(expected);
  });

  test("the peer answer is remembered per set without mixing sets up", () => {
    const other = set(["192.168.0.0/16"]);
    expect(clientIp("10.0.0.1", "198.51.100.7", proxies)).toBe("198.51.100.7");
    expect(clientIp("10.0.0.1", "198.51.100.7", other)).toBe("10.0.0.1");
    expect(clientIp("10.0.0.1", "198.51.100.7", proxies)).toBe("198.51.100.7");
    expect(clientIp("fd00::5", "2001:db8::9, fd00::6", proxies)).toBe("2001:db8::9");
  });
});
