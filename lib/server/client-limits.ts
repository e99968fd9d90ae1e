/**
 * Who a WebSocket client is (behind trusted reverse proxies only) and how many
 * connections each client may hold at once.
 * @module
 */
import { WispError } from '../errors.js';
import { cidrContains, formatIp, parseCidr, parseIp, unmapIp, type Cidr, type ParsedIp } from './ip.js';

/** HTTP request headers as Node gives them (`IncomingHttpHeaders` fits). */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Returned by {@link clientAddress} when the socket has no remote address (already closed). */
export const UNKNOWN_CLIENT = 'unknown';

/**
 * A compiled list of trusted reverse proxies: IP addresses or CIDR blocks
 * (`10.0.0.0/8`, `fd00::/8`). IPv4-mapped IPv6 peers match their IPv4 entries.
 */
export class TrustedProxies {
  private readonly blocks: readonly Cidr[];
  /**
   * The last direct peer that is not a trusted proxy, and its canonical address: its answer
   * depends on the peer alone, and a gateway sees the same peers again and again (parsing
   * and formatting an address is a good part of what routing an upgrade costs).
   * @internal
   */
  lastPeer: { readonly remote: string; readonly client: string } | undefined;

  /** @throws WispError `InvalidArgument` for an entry that is not an address or block. */
  constructor(entries: readonly string[]) {
    this.blocks = entries.map((e) => parseCidr(e.trim()));
  }

  /** True when `ip` (any text form) is inside one of the trusted blocks. */
  has(ip: string | ParsedIp): boolean {
    const parsed = typeof ip === 'string' ? parseIp(ip) : ip;
    if (parsed === undefined) return false;
    const plain = unmapIp(parsed);
    return this.blocks.some((b) => cidrContains(b, plain));
  }
}

/** Canonical text of an address, with IPv4-mapped IPv6 shown as IPv4, so one client has one key. */
function canonical(ip: ParsedIp): string {
  return formatIp(unmapIp(ip));
}

/** Parses one X-Forwarded-For item: a bare address, `[v6]` or `[v6]:port`, or `v4:port`. */
function parseForwardedItem(item: string): ParsedIp | undefined {
  const text = item.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed !== null) return parseIp(bracketed[1] ?? '');
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(text);
  return parseIp(v4WithPort === null ? text : (v4WithPort[1] ?? ''));
}

function forwardedFor(headers: HeaderBag): string[] {
  const values: string[] = [];
  // Node lower-cases header names, but a hand-built header object might not.
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'x-forwarded-for' || value === undefined) continue;
    for (const v of typeof value === 'string' ? [value] : value) values.push(...v.split(','));
  }
  return values;
}

/**
 * The address to account a client under. `X-Forwarded-For` is honoured only when the
 * direct peer is a trusted proxy — otherwise any client could claim any address. The list
 * is walked from the right (nearest hop first), skipping trusted proxies; the first
 * untrusted hop is the client. If a hop is malformed, the last trusted hop is returned,
 * since nothing to its left can be believed. If every hop is trusted, the leftmost wins.
 * The result is canonical (lower-case IPv6, IPv4-mapped shown as IPv4).
 *
 * `trustedProxies` as a string array is compiled (and validated) on every call; build a
 * {@link TrustedProxies} once at startup to fail fast on a bad entry and skip the work.
 * @throws WispError `InvalidArgument` when a string entry is not an address or CIDR block.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  headers: HeaderBag,
  trustedProxies: readonly string[] | TrustedProxies,
): string {
  if (remoteAddress === undefined) return UNKNOWN_CLIENT;
  const trusted = trustedProxies instanceof TrustedProxies ? trustedProxies : new TrustedProxies(trustedProxies);
  const last = trusted.lastPeer;
  if (last !== undefined && last.remote === remoteAddress) return last.client;
  const peer = parseIp(remoteAddress);
  if (peer === undefined) return remoteAddress;
  let current = peer;
  if (!trusted.has(current)) {
    const client = canonical(current);
    trusted.lastPeer = { remote: remoteAddress, client };
    return client;
  }
  const hops = forwardedFor(headers);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseForwardedItem(hops[i] ?? '');
    if (hop === undefined) break;
    current = hop;
    if (!trusted.has(hop)) break;
  }
  return canonical(current);
}

/** Options for {@link ConnectionLimiter}. */
export interface ConnectionLimiterOptions {
  /** Most connections one client key may hold at once (an integer >= 1). */
  readonly maxPerClient: number;
}

/**
 * Counts open connections per client key and refuses new ones over the limit. Keys with
 * no open connections are forgotten, so memory follows current, not historical, clients.
 */
export class ConnectionLimiter {
  readonly maxPerClient: number;
  private readonly counts = new Map<string, number>();

  /** @throws WispError `InvalidArgument` unless `maxPerClient` is an integer >= 1. */
  constructor(options: ConnectionLimiterOptions) {
    if (!Number.isInteger(options.maxPerClient) || options.maxPerClient < 1) {
      throw new WispError('InvalidArgument', `maxPerClient must be an integer >= 1, got ${options.maxPerClient}`);
    }
    this.maxPerClient = options.maxPerClient;
  }

  /**
   * Takes a slot for `client`. Returns the function that gives it back (safe to call any
   * number of times; only the first call counts), or `undefined` when the client is at its limit.
   */
  acquire(client: string): (() => void) | undefined {
    const count = this.counts.get(client) ?? 0;
    if (count >= this.maxPerClient) return undefined;
    this.counts.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(client) ?? 0) - 1;
      if (left > 0) this.counts.set(client, left);
      else this.counts.delete(client);
    };
  }

  /** Open connections held by `client`. */
  count(client: string): number {
    return this.counts.get(client) ?? 0;
  }

  /** Number of clients currently holding at least one connection. */
  get clients(): number {
    return this.counts.size;
  }
}
