/**
 * The gateway's destination policy: which targets a client may reach. Checked twice —
 * {@link checkRequest} on the CONNECT packet before any DNS, and {@link checkAddress} on
 * every resolved address, so a name cannot smuggle a client into a blocked network.
 * Both return a Wisp close reason byte, or `undefined` when the target is allowed.
 * @module
 */
import { WispError } from '../errors.js';
import { CloseReason } from '../wisp/packet/close-reason.js';
import { classifyParsed, isCloudMetadataAddress, type AddressClass } from './address-class.js';
import { hostKey, parseTargetHost } from './hostname.js';
import { parseIp } from './ip.js';

/** An inclusive port range; a single port has `from === to`. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Destination policy options. Every field is optional; the defaults are safe for a public
 * gateway: only public unicast addresses are reachable.
 */
export interface DestinationPolicy {
  /** Allow 127/8 and ::1. Default `false`. */
  readonly allowLoopback?: boolean;
  /** Allow 10/8, 172.16/12, 192.168/16, fc00::/7 and CGNAT 100.64/10. Default `false`. */
  readonly allowPrivate?: boolean;
  /**
   * Allow 169.254/16 and fe80::/10. Default `false`. Separate from `allowPrivate` because
   * cloud metadata (169.254.169.254) lives here; known metadata addresses in private or
   * CGNAT space (fd00:ec2::254, 100.100.100.200) need this flag as well.
   */
  readonly allowLinkLocal?: boolean;
  /** Allow IP literals as the CONNECT hostname. Default `true`. */
  readonly allowDirectIp?: boolean;
  /** Allow TCP streams. Default `true`. */
  readonly allowTcp?: boolean;
  /** Allow UDP streams. Default `true`. */
  readonly allowUdp?: boolean;
  /**
   * Host patterns: exact names (`example.com`) or `*.example.com`, which matches any name
   * strictly below example.com (not example.com itself). Case-insensitive; a trailing dot
   * is ignored; IP literals match their text form. When non-empty, only matching hosts
   * pass and `hostDeny` is not consulted.
   */
  readonly hostAllow?: readonly string[];
  /** Host patterns refused (same syntax as `hostAllow`). Used only when `hostAllow` is empty. */
  readonly hostDeny?: readonly string[];
  /** When non-empty, only ports inside these ranges pass and `portDeny` is not consulted. */
  readonly portAllow?: readonly PortRange[];
  /** Ports refused; used only when `portAllow` is empty. */
  readonly portDeny?: readonly PortRange[];
}

/** What a CONNECT asks for, before DNS. */
export interface DestinationRequest {
  readonly type: 'tcp' | 'udp';
  readonly hostname: string;
  readonly port: number;
}

/** The defaults {@link checkRequest} and {@link checkAddress} apply to omitted fields. */
export const POLICY_DEFAULTS = Object.freeze({
  allowLoopback: false,
  allowPrivate: false,
  allowLinkLocal: false,
  allowDirectIp: true,
  allowTcp: true,
  allowUdp: true,
});

/**
 * Parses a port list such as `"80,443,8000-9000"` (whitespace around items allowed).
 * @throws WispError `InvalidArgument` for an empty list or item, non-digits, a port
 *   outside 1–65535, or a range whose start exceeds its end.
 */
export function parsePortRanges(text: string): PortRange[] {
  const bad = (why: string) => new WispError('InvalidArgument', `invalid port list ${JSON.stringify(text)}: ${why}`);
  if (typeof text !== 'string' || text.trim() === '') throw bad('empty');
  return text.split(',').map((raw) => {
    const item = raw.trim();
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(item);
    if (m === null) throw bad(item === '' ? 'empty item' : `${JSON.stringify(item)} is not a port or range`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (const p of [from, to]) if (p < 1 || p > 65535) throw bad(`port ${p} is outside 1-65535`);
    if (from > to) throw bad(`range ${from}-${to} is reversed`);
    return { from, to };
  });
}

const PATTERN = /^(?:\*\.)?[^*\s\u0000-\u001f\u007f-\u009f]+$/u;

/**
 * Checks a policy's patterns and ranges once, when it is loaded, because a malformed deny
 * entry would otherwise silently match nothing.
 * @throws WispError `InvalidArgument` naming the first bad entry.
 */
export function assertValidPolicy(policy: DestinationPolicy): void {
  for (const key of ['hostAllow', 'hostDeny'] as const) {
    for (const p of policy[key] ?? []) {
      if (typeof p !== 'string' || !PATTERN.test(p) || p.endsWith('..') || p === '*.') {
        throw new WispError('InvalidArgument', `${key}: invalid host pattern ${JSON.stringify(p)}`);
      }
    }
  }
  for (const key of ['portAllow', 'portDeny'] as const) {
    for (const r of policy[key] ?? []) {
      const ok = Number.isInteger(r.from) && Number.isInteger(r.to) && r.from >= 1 && r.to <= 65535 && r.from <= r.to;
      if (!ok) throw new WispError('InvalidArgument', `${key}: invalid port range ${JSON.stringify(r)}`);
    }
  }
}

function normalisePattern(pattern: string): string {
  const p = pattern.toLowerCase();
  return p.endsWith('.') ? p.slice(0, -1) : p;
}

function matchesHost(patterns: readonly string[], key: string): boolean {
  return patterns.some((raw) => {
    const p = normalisePattern(raw);
    // "*.example.com" -> suffix ".example.com": requires at least one label in front.
    return p.startsWith('*.') ? key.length > p.length - 1 && key.endsWith(p.slice(1)) : key === p;
  });
}

function inRanges(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some((r) => port >= r.from && port <= r.to);
}

/**
 * Pre-DNS checks on a CONNECT. Returns a close reason byte, or `undefined` when allowed:
 * - 0x41 InvalidInfo: unknown stream type, port not an integer in 1–65535, or a hostname
 *   {@link parseTargetHost} rejects (empty, > 253 chars, controls/whitespace, ...);
 * - 0x48 HostBlocked: stream type disabled, IP literal while `allowDirectIp` is false, host
 *   or port refused by the lists, or an IP literal whose address class is blocked.
 */
export function checkRequest(policy: DestinationPolicy, request: DestinationRequest): number | undefined {
  const { type, port } = request;
  if (type !== 'tcp' && type !== 'udp') return CloseReason.InvalidInfo;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return CloseReason.InvalidInfo;
  const host = parseTargetHost(request.hostname);
  if (host === undefined) return CloseReason.InvalidInfo;

  const allowType = type === 'tcp'
    ? policy.allowTcp ?? POLICY_DEFAULTS.allowTcp
    : policy.allowUdp ?? POLICY_DEFAULTS.allowUdp;
  if (!allowType) return CloseReason.HostBlocked;
  if (host.kind === 'ip' && !(policy.allowDirectIp ?? POLICY_DEFAULTS.allowDirectIp)) return CloseReason.HostBlocked;

  const key = hostKey(host);
  const hostAllow = policy.hostAllow ?? [];
  if (hostAllow.length > 0 ? !matchesHost(hostAllow, key) : matchesHost(policy.hostDeny ?? [], key)) {
    return CloseReason.HostBlocked;
  }
  const portAllow = policy.portAllow ?? [];
  if (portAllow.length > 0 ? !inRanges(portAllow, port) : inRanges(policy.portDeny ?? [], port)) {
    return CloseReason.HostBlocked;
  }
  // A literal needs no DNS, so its address can be judged now rather than after a lookup.
  return host.kind === 'ip' ? checkAddress(policy, host.address) : undefined;
}

function classAllowed(policy: DestinationPolicy, cls: AddressClass): boolean {
  switch (cls) {
    case 'public':
      return true;
    case 'loopback':
      return policy.allowLoopback ?? POLICY_DEFAULTS.allowLoopback;
    case 'private':
    case 'cgnat':
      return policy.allowPrivate ?? POLICY_DEFAULTS.allowPrivate;
    case 'linkLocal':
      return policy.allowLinkLocal ?? POLICY_DEFAULTS.allowLinkLocal;
    // No flag reopens these: 0.0.0.0/:: mean "this host", and the others are not unicast
    // destinations a proxied TCP/UDP stream has any business reaching.
    case 'unspecified':
    case 'multicast':
    case 'broadcast':
    case 'reserved':
      return false;
  }
}

/**
 * Checks one resolved (or literal) address: 0x48 HostBlocked when its class is not
 * allowed, or when it is a known cloud metadata address and `allowLinkLocal` is off;
 * otherwise `undefined`. Anything that is not an IP address is refused (fail closed).
 */
export function checkAddress(policy: DestinationPolicy, ip: string): number | undefined {
  const parsed = parseIp(ip);
  if (parsed === undefined) return CloseReason.HostBlocked;
  if (!classAllowed(policy, classifyParsed(parsed))) return CloseReason.HostBlocked;
  if (isCloudMetadataAddress(parsed) && !(policy.allowLinkLocal ?? POLICY_DEFAULTS.allowLinkLocal)) {
    return CloseReason.HostBlocked;
  }
  return undefined;
}
