/**
 * IP address parsing for the gateway: bytes for classification and CIDR matching,
 * a canonical text form for keys and logs. Node-only (uses `node:net`'s `isIP`).
 *
 * Validation is delegated to `isIP`, so this module accepts exactly what Node's socket
 * layer accepts (dotted-quad IPv4 without leading zeros, any IPv6 text form, optional
 * `%zone`). Looser IPv4 spellings such as `127.1` or `0x7f.0.0.1` are *not* addresses here.
 * @module
 */
import { isIP } from 'node:net';
import { WispError } from '../errors.js';

/** A parsed IP address: 4 bytes for IPv4, 16 for IPv6 (network order). */
export interface ParsedIp {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  /** IPv6 zone id (the part after `%`), when one was given. */
  readonly zone?: string;
}

/** An address block, e.g. `10.0.0.0/8` or `fc00::/7`. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** Parses an IP address literal (no brackets, no port); `undefined` if `text` is not one. */
export function parseIp(text: string): ParsedIp | undefined {
  const family = isIP(text);
  if (family === 4) return { family: 4, bytes: parseV4(text) };
  if (family !== 6) return undefined;
  const pct = text.indexOf('%');
  const bytes = parseV6(pct === -1 ? text : text.slice(0, pct));
  return pct === -1 ? { family: 6, bytes } : { family: 6, bytes, zone: text.slice(pct + 1) };
}

// Only called on text isIP() already accepted: four decimal octets. A plain loop, because this
// runs several times per stream (policy, resolution, address classes) and split/map allocates.
function parseV4(text: string): Uint8Array {
  const out = new Uint8Array(4);
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) octet++;
    else out[octet] = out[octet] * 10 + (c - 0x30);
  }
  return out;
}

// Only called on text isIP() already accepted, so the shape is known to be valid.
function parseV6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    // Trailing dotted IPv4 (e.g. ::ffff:1.2.3.4) fills the last 32 bits.
    tail = Array.from(parseV4(body.slice(lastColon + 1)));
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', rest] = body.split('::');
  const headWords = head === '' ? [] : head.split(':');
  const restWords = rest === undefined || rest === '' ? [] : rest.split(':');
  const words = [...headWords, ...new Array<string>(8 - headWords.length - restWords.length).fill('0'), ...restWords];
  words.forEach((w, i) => {
    const v = parseInt(w, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/** True for `::ffff:a.b.c.d` (IPv4-mapped IPv6). */
export function isMappedIPv4(ip: ParsedIp): boolean {
  if (ip.family !== 6) return false;
  for (let i = 0; i < 10; i++) if (ip.bytes[i] !== 0) return false;
  return ip.bytes[10] === 0xff && ip.bytes[11] === 0xff;
}

/** Turns an IPv4-mapped IPv6 address into plain IPv4; other addresses are returned as is. */
export function unmapIp(ip: ParsedIp): ParsedIp {
  return isMappedIPv4(ip) ? { family: 4, bytes: ip.bytes.slice(12) } : ip;
}

/** Canonical text: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0));
  // Longest run of two or more zero words; the first one wins a tie (RFC 5952 §4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  const text = bestStart === -1
    ? hex(words)
    : `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
  return ip.zone === undefined ? text : `${text}%${ip.zone}`;
}

/**
 * Parses `address` or `address/prefix`. A bare address is a single-host block.
 * @throws WispError `InvalidArgument` for anything else.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  const max = ip?.family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (ip === undefined || ip.zone !== undefined || !(prefix <= max)) {
    throw new WispError('InvalidArgument', `not an IP address or CIDR block: ${JSON.stringify(text)}`);
  }
  return { family: ip.family, bytes: ip.bytes, prefix };
}

/** True when `ip` lies inside `cidr` (same family only; unmap IPv4-mapped addresses first). */
export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  if (cidr.family !== ip.family) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== ip.bytes[i]) return false;
  const bits = cidr.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((cidr.bytes[full] ?? 0) & mask) === ((ip.bytes[full] ?? 0) & mask);
}
