import { isIP } from "node:net";

/**
 * Which network addresses a server-side fetch may connect to. A URL a client sends must not make
 * omnimem reach its own host, its private network or a cloud metadata service (SSRF), whatever
 * the URL's spelling (decimal, IPv4-mapped IPv6, NAT64, 6to4) or what its name resolves to.
 */

export type AddressCategory =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "shared" // CGNAT 100.64/10
  | "link-local"
  | "unique-local"
  | "multicast"
  | "reserved"
  | "metadata";

/** Cloud metadata endpoints: refused even when private hosts are allowed (they hand out credentials). */
const METADATA_ADDRESSES = new Set([
  "169.254.169.254", // AWS, GCP, Azure, OpenStack, DigitalOcean...
  "169.254.170.2", // AWS ECS task metadata
  "169.254.169.253", // AWS DNS resolver in a VPC
  "100.100.100.200", // Alibaba Cloud
  "192.0.0.192", // Oracle Cloud
  "fd00:ec2::254", // AWS IMDS over IPv6
  "fd00:ec2::253",
]);

const METADATA_HOSTNAMES = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "metadata.azure.internal",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
  "metadata.platformequinix.com",
]);

/** `"a.b.c.d"` → 32-bit number; undefined when not a dotted-quad IPv4 address. */
export function parseIpv4(address: string): number | undefined {
  if (isIP(address) !== 4) return undefined;
  const parts = address.split(".").map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

/** IPv6 text → its eight 16-bit groups (handles `::` and a trailing dotted IPv4); zone ids are dropped. */
export function parseIpv6(address: string): number[] | undefined {
  const withoutZone = address.split("%")[0] ?? "";
  if (isIP(withoutZone) !== 6) return undefined;
  let text = withoutZone.toLowerCase();
  const lastColon = text.lastIndexOf(":");
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    const v4 = parseIpv4(maybeV4);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (chunk: string): number[] => (chunk === "" ? [] : chunk.split(":").map((group) => Number.parseInt(group, 16)));
  const head = parseGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  const zeros = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (zeros < 0) return undefined;
  const groups = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}

function inV4(address: number, base: string, bits: number): boolean {
  const network = parseIpv4(base) ?? 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((address & mask) >>> 0) === ((network & mask) >>> 0);
}

function classifyV4(address: number): AddressCategory {
  const dotted = [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join(".");
  if (METADATA_ADDRESSES.has(dotted)) return "metadata";
  if (inV4(address, "0.0.0.0", 8)) return "unspecified";
  if (inV4(address, "127.0.0.0", 8)) return "loopback";
  if (inV4(address, "10.0.0.0", 8) || inV4(address, "172.16.0.0", 12) || inV4(address, "192.168.0.0", 16)) return "private";
  if (inV4(address, "100.64.0.0", 10)) return "shared";
  if (inV4(address, "169.254.0.0", 16)) return "link-local";
  if (inV4(address, "224.0.0.0", 4)) return "multicast";
  if (
    inV4(address, "240.0.0.0", 4) || // reserved, includes 255.255.255.255
    inV4(address, "192.0.0.0", 24) || // IETF protocol assignments
    inV4(address, "192.0.2.0", 24) || // TEST-NET-1
    inV4(address, "198.51.100.0", 24) || // TEST-NET-2
    inV4(address, "203.0.113.0", 24) || // TEST-NET-3
    inV4(address, "198.18.0.0", 15) || // benchmarking
    inV4(address, "192.88.99.0", 24) // 6to4 relay anycast
  ) {
    return "reserved";
  }
  return "public";
}

function v6ToText(groups: readonly number[]): string {
  // Compressed form for the metadata lookup: longest run of zero groups → "::".
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength && end - start > 1) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function classifyV6(groups: readonly number[]): AddressCategory {
  const g = (index: number): number => groups[index] ?? 0;
  if (METADATA_ADDRESSES.has(v6ToText(groups))) return "metadata";
  const embeddedV4 = ((g(6) << 16) | g(7)) >>> 0;
  const firstFiveZero = g(0) === 0 && g(1) === 0 && g(2) === 0 && g(3) === 0 && g(4) === 0;
  if (firstFiveZero && g(5) === 0 && g(6) === 0) {
    if (g(7) === 0) return "unspecified";
    if (g(7) === 1) return "loopback";
  }
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d) and deprecated IPv4-compatible (::a.b.c.d).
  if (firstFiveZero && (g(5) === 0xffff || g(5) === 0)) return classifyV4(embeddedV4);
  if (g(0) === 0 && g(1) === 0 && g(2) === 0 && g(3) === 0 && g(4) === 0xffff && g(5) === 0) return classifyV4(embeddedV4);
  // NAT64 well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address.
  if (g(0) === 0x64 && g(1) === 0xff9b && g(2) === 0 && g(3) === 0 && g(4) === 0 && g(5) === 0) return classifyV4(embeddedV4);
  if (g(0) === 0x64 && g(1) === 0xff9b && g(2) === 1) return "private"; // local-use NAT64 64:ff9b:1::/48
  // 6to4 2002:AABB:CCDD::/48 tunnels to AA.BB.CC.DD.
  if (g(0) === 0x2002) {
    const v4 = classifyV4(((g(1) << 16) | g(2)) >>> 0);
    return v4 === "public" ? "public" : v4;
  }
  if (g(0) === 0x2001 && g(1) === 0) return "reserved"; // Teredo: the real endpoint is obfuscated
  if (g(0) === 0x2001 && g(1) === 0xdb8) return "reserved"; // documentation
  if (g(0) === 0x100 && g(1) === 0 && g(2) === 0 && g(3) === 0) return "reserved"; // discard-only
  if ((g(0) & 0xfe00) === 0xfc00) return "unique-local";
  if ((g(0) & 0xffc0) === 0xfe80) return "link-local";
  if ((g(0) & 0xffc0) === 0xfec0) return "private"; // deprecated site-local
  if ((g(0) & 0xff00) === 0xff00) return "multicast";
  return "public";
}

/** What kind of address this is; undefined when the text is not an IP address. */
export function classifyAddress(address: string): AddressCategory | undefined {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return classifyV4(v4);
  const v6 = parseIpv6(bare);
  if (v6 !== undefined) return classifyV6(v6);
  return undefined;
}

export interface AddressVerdict {
  allowed: boolean;
  category: AddressCategory;
}

/**
 * May a fetch connect to this IP address? Public addresses always; the rest only with
 * `allowPrivateHosts`, except metadata endpoints, which are never reachable.
 */
export function checkAddress(address: string, allowPrivateHosts: boolean): AddressVerdict {
  const category = classifyAddress(address) ?? "reserved";
  if (category === "public") return { allowed: true, category };
  if (category === "metadata") return { allowed: false, category };
  return { allowed: allowPrivateHosts, category };
}

/** Host names refused before any DNS lookup (they name the local machine or a metadata service). */
export function checkHostname(hostname: string, allowPrivateHosts: boolean): { allowed: boolean; reason?: string } {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (METADATA_HOSTNAMES.has(name)) return { allowed: false, reason: `${hostname} is a cloud metadata host` };
  if (allowPrivateHosts) return { allowed: true };
  if (name === "localhost" || name.endsWith(".localhost") || name === "localhost.localdomain") {
    return { allowed: false, reason: `${hostname} is the local machine` };
  }
  return { allowed: true };
}
