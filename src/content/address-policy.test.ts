import { describe, expect, it } from "vitest";
import { checkAddress, checkHostname, classifyAddress, parseIpv6 } from "./address-policy.js";

describe("classifyAddress", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["93.184.216.34", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["100.128.0.1", "public"],
    ["169.254.1.1", "link-local"],
    ["169.254.169.254", "metadata"],
    ["100.100.100.200", "metadata"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["fd00:ec2::254", "metadata"],
    ["ff02::1", "multicast"],
    ["2606:4700:4700::1111", "public"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:8.8.8.8", "public"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::a00:1", "private"],
    ["2002:7f00:1::", "loopback"],
    ["2002:0808:0808::1", "public"],
    ["2001:db8::1", "reserved"],
  ])("%s is %s", (address, category) => {
    expect(classifyAddress(address)).toBe(category);
  });

  it("is undefined for host names", () => {
    expect(classifyAddress("example.com")).toBeUndefined();
  });

  it("parses IPv6 forms", () => {
    expect(parseIpv6("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIpv6("1::8")).toEqual([1, 0, 0, 0, 0, 0, 0, 8]);
    expect(parseIpv6("nope")).toBeUndefined();
  });
});

describe("checkAddress and checkHostname", () => {
  it("allows public addresses and refuses the rest unless private hosts are allowed", () => {
    expect(checkAddress("8.8.8.8", false).allowed).toBe(true);
    expect(checkAddress("127.0.0.1", false).allowed).toBe(false);
    expect(checkAddress("127.0.0.1", true).allowed).toBe(true);
    expect(checkAddress("10.0.0.1", true).allowed).toBe(true);
  });

  it("never allows cloud metadata endpoints", () => {
    expect(checkAddress("169.254.169.254", true)).toEqual({ allowed: false, category: "metadata" });
    expect(checkAddress("::ffff:a9fe:a9fe", true).allowed).toBe(false);
    expect(checkHostname("metadata.google.internal", true).allowed).toBe(false);
    expect(checkHostname("METADATA.GOOGLE.INTERNAL.", false).allowed).toBe(false);
  });

  it("refuses localhost names unless private hosts are allowed", () => {
    expect(checkHostname("localhost", false).allowed).toBe(false);
    expect(checkHostname("api.localhost", false).allowed).toBe(false);
    expect(checkHostname("localhost", true).allowed).toBe(true);
    expect(checkHostname("example.com", false).allowed).toBe(true);
  });
});
