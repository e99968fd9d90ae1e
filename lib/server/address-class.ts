/**
 * What kind of network an IP address belongs to, so the gateway can refuse targets inside
 * its own host or network (SSRF). Classification always looks through IPv6 forms that
 * carry an IPv4 address to somewhere reachable: IPv4-mapped (`::ffff:0:0/96`), NAT64
 * (`64:ff9b::/96`) and 6to4 (`2002::/16`) are classified by their embedded IPv4 address,
 * because that is where the packets end up.
 * @module
 */
import { WispError } from '../errors.js';
import { formatIp, parseIp, type ParsedIp } from './ip.js';

/** The address classes the destination policy distinguishes. */
export type AddressClass =
  /** 127.0.0.0/8, ::1 */
  | 'loopback'
  /** 10/8, 172.16/12, 192.168/16, fc00::/7 (ULA), fec0::/10 (deprecated site-local), 64:ff9b:1::/48 */
  | 'private'
  /** 169.254/16 (incl. 169.254.169.254 cloud metadata), fe80::/10 */
  | 'linkLocal'
  /** 100.64/10 (carrier-grade NAT shared space) */
  | 'cgnat'
  /** 0.0.0.0/8, :: — connecting to these reaches the local host on most systems */
  | 'unspecified'
  /** 224/4, ff00::/8 */
  | 'multicast'
  /** 255.255.255.255 */
  | 'broadcast'
  /**
   * 240/4, 192.0.0.0/24, documentation (192.0.2/24, 198.51.100/24, 203.0.113/24,
   * 2001:db8::/32, 3fff::/20), benchmarking (198.18/15, 2001:2::/48), discard-only 100::/64,
   * and all IPv6 outside 2000::/3 not listed above (unallocated or deprecated, e.g. IPv4-compatible `::a.b.c.d`).
   */
  | 'reserved'
  /** Everything else. */
  | 'public';

// [base, prefix length, class]; first match wins, so 255.255.255.255 precedes 240/4.
const V4_TABLE: ReadonlyArray<readonly [number, number, AddressClass]> = [
  [v4(0, 0, 0, 0), 8, 'unspecified'],
  [v4(10, 0, 0, 0), 8, 'private'],
  [v4(100, 64, 0, 0), 10, 'cgnat'],
  [v4(127, 0, 0, 0), 8, 'loopback'],
  [v4(169, 254, 0, 0), 16, 'linkLocal'],
  [v4(172, 16, 0, 0), 12, 'private'],
  [v4(192, 0, 0, 0), 24, 'reserved'], // IETF protocol assignments (Oracle Cloud metadata 192.0.0.192 lives here)
  [v4(192, 0, 2, 0), 24, 'reserved'],
  [v4(192, 168, 0, 0), 16, 'private'],
  [v4(198, 18, 0, 0), 15, 'reserved'],
  [v4(198, 51, 100, 0), 24, 'reserved'],
  [v4(203, 0, 113, 0), 24, 'reserved'],
  [v4(224, 0, 0, 0), 4, 'multicast'],
  [v4(255, 255, 255, 255), 32, 'broadcast'],
  [v4(240, 0, 0, 0), 4, 'reserved'],
];

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function classifyV4(value: number): AddressClass {
  for (const [base, prefix, cls] of V4_TABLE) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if (((value & mask) >>> 0) === base) return cls;
  }
  return 'public';
}

function words(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < 16; i += 2) out.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return out;
}

function word32(hi: number, lo: number): number {
  return ((hi << 16) | lo) >>> 0;
}

function classifyV6(bytes: Uint8Array): AddressClass {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = words(bytes);
  const zeroTo4 = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0;
  if (zeroTo4 && w5 === 0 && w6 === 0 && w7 === 0) return 'unspecified';
  if (zeroTo4 && w5 === 0 && w6 === 0 && w7 === 1) return 'loopback';
  if (zeroTo4 && w5 === 0xffff) return classifyV4(word32(w6, w7)); // IPv4-mapped
  if (w0 === 0x64 && w1 === 0xff9b) {
    // NAT64 well-known prefix: the translator forwards to the embedded IPv4 address.
    if (w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) return classifyV4(word32(w6, w7));
    // Local-use NAT64 (RFC 8215) maps into the operator's own network.
    if (w2 === 1) return 'private';
  }
  // 6to4: a host with a 6to4 interface would tunnel to the embedded IPv4 address itself.
  if (w0 === 0x2002) return classifyV4(word32(w1, w2));
  if ((w0 & 0xfe00) === 0xfc00) return 'private';
  if ((w0 & 0xffc0) === 0xfe80) return 'linkLocal';
  if ((w0 & 0xffc0) === 0xfec0) return 'private';
  if ((w0 & 0xff00) === 0xff00) return 'multicast';
  if (w0 === 0x2001 && w1 === 0x0db8) return 'reserved';
  if (w0 === 0x2001 && w1 === 0x0002 && w2 === 0) return 'reserved';
  if (w0 === 0x3fff && (w1 & 0xf000) === 0) return 'reserved';
  if (w0 === 0x0100 && w1 === 0 && w2 === 0 && w3 === 0) return 'reserved';
  // Only 2000::/3 is allocated for global unicast; the rest is not a legitimate target.
  if ((w0 & 0xe000) !== 0x2000) return 'reserved';
  return 'public';
}

/** Classifies an already parsed address. */
export function classifyParsed(ip: ParsedIp): AddressClass {
  if (ip.family === 4) {
    const b = ip.bytes;
    return classifyV4(v4(b[0] ?? 0, b[1] ?? 0, b[2] ?? 0, b[3] ?? 0));
  }
  return classifyV6(ip.bytes);
}

/**
 * Classifies an IP address literal (IPv4, or IPv6 without brackets, zone id allowed).
 * @throws WispError `InvalidArgument` when `ip` is not an IP address.
 */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseIp(ip);
  if (parsed === undefined) throw new WispError('InvalidArgument', `not an IP address: ${JSON.stringify(ip)}`);
  return classifyParsed(parsed);
}

// Cloud instance-metadata endpoints that fall *outside* link-local space, so allowing
// private or CGNAT targets does not silently expose credentials. 169.254.169.254 and
// 169.254.170.2 (AWS ECS) are listed for completeness; they are link-local anyway.
const METADATA_ADDRESSES = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200', // Alibaba Cloud (inside 100.64/10)
  'fd00:ec2::254', // AWS IMDS over IPv6 (inside fc00::/7)
]);

/**
 * True for a known cloud instance-metadata address (IPv4, or its mapped/NAT64/6to4 IPv6 forms).
 * The policy requires `allowLinkLocal` for these even when they sit in private or CGNAT space.
 */
export function isCloudMetadataAddress(ip: string | ParsedIp): boolean {
  const parsed = typeof ip === 'string' ? parseIp(ip) : ip;
  if (parsed === undefined) return false;
  if (parsed.family === 4) return METADATA_ADDRESSES.has(parsed.bytes.join('.'));
  const embedded = embeddedV4(parsed.bytes);
  if (embedded !== undefined) return METADATA_ADDRESSES.has(embedded);
  return METADATA_ADDRESSES.has(formatIp({ family: 6, bytes: parsed.bytes }));
}

/** The IPv4 address carried by an IPv4-mapped, NAT64 or 6to4 address, as dotted text. */
function embeddedV4(bytes: Uint8Array): string | undefined {
  const w = words(bytes);
  const at = (i: number) => Array.from(bytes.subarray(i, i + 4)).join('.');
  const zero = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && w[5] === 0xffff) return at(12);
  if (w[0] === 0x64 && w[1] === 0xff9b && zero(2, 6)) return at(12);
  if (w[0] === 0x2002) return at(2);
  return undefined;
}
