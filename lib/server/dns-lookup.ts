/**
 * A {@link LookupFunction} for the gateway with the knobs operators expect: resolve through
 * given DNS servers (Node's `dns.Resolver`), cache answers for their TTL with a bound on
 * entries, share one query among concurrent lookups of a name, order the answers, and leave
 * IPv6 out. The policy still checks every address it returns (see `resolveTarget`).
 * @module
 */
import { promises as dns } from 'node:dns';
import type { LookupFunction } from './resolve.js';

/** Which family goes first in the answers. `verbatim`: as the resolver gave them. */
export type DnsOrder = 'ipv4first' | 'ipv6first' | 'verbatim';

/** Options of {@link createDnsLookup}. */
export interface DnsLookupOptions {
  /** DNS servers (`IP` or `IP:PORT`, `[IPv6]:PORT`). Without them, the system's `dns.lookup` (hosts file included). */
  readonly servers?: readonly string[];
  /** Default `verbatim`. */
  readonly order?: DnsOrder;
  /** Ask for and return IPv6 addresses. Default true. */
  readonly ipv6?: boolean;
  /** Names kept in the cache at most (oldest dropped first); 0 turns the cache off. Default 10,000. */
  readonly cacheEntries?: number;
  /** Longest a TTL is honoured, in seconds. Default 3,600. */
  readonly maxTtlS?: number;
  /**
   * How long answers from the system resolver (which reports no TTL) are kept, in seconds;
   * 0 keeps none. Default 0: the system may have its own cache.
   */
  readonly systemTtlS?: number;
  /** The clock, in ms (tests). Default `Date.now`. */
  readonly now?: () => number;
}

type Answer = { readonly address: string; readonly family: number };
type Answers = ReadonlyArray<Answer>;

interface Entry {
  readonly answers: Answers;
  readonly expires: number;
}

/** Builds the lookup; see {@link DnsLookupOptions}. */
export function createDnsLookup(options: DnsLookupOptions = {}): LookupFunction & { readonly cacheSize: () => number } {
  const order = options.order ?? 'verbatim';
  const ipv6 = options.ipv6 !== false;
  const maxEntries = options.cacheEntries ?? 10_000;
  const maxTtlMs = (options.maxTtlS ?? 3600) * 1000;
  const systemTtlMs = (options.systemTtlS ?? 0) * 1000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Answers>>();
  let resolver: dns.Resolver | undefined;
  if (options.servers && options.servers.length > 0) {
    resolver = new dns.Resolver();
    resolver.setServers([...options.servers]);
  }

  const query = async (name: string): Promise<Entry> => {
    if (!resolver) {
      const found = await dns.lookup(name, { all: true, verbatim: true, ...(ipv6 ? {} : { family: 4 }) });
      return { answers: found.map(({ address, family }) => ({ address, family })), expires: now() + systemTtlMs };
    }
    const [v4, v6] = await Promise.all([
      resolver.resolve4(name, { ttl: true }).catch(noRecords),
      ipv6 ? resolver.resolve6(name, { ttl: true }).catch(noRecords) : Promise.resolve([]),
    ]);
    const records = [...v4.map((r) => ({ ...r, family: 4 })), ...v6.map((r) => ({ ...r, family: 6 }))];
    if (records.length === 0) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    const ttlMs = Math.min(maxTtlMs, ...records.map((r) => r.ttl * 1000));
    return { answers: records.map(({ address, family }) => ({ address, family })), expires: now() + ttlMs };
  };

  const remember = (name: string, entry: Entry): void => {
    if (maxEntries <= 0 || entry.expires <= now()) return;
    cache.delete(name);
    cache.set(name, entry);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  };

  const lookup = (hostname: string): Promise<Answers> => {
    const name = hostname.toLowerCase();
    const cached = cache.get(name);
    if (cached && cached.expires > now()) return Promise.resolve(sorted(cached.answers, order));
    if (cached) cache.delete(name);
    let pending = inFlight.get(name);
    if (!pending) {
      pending = query(name).then((entry) => (remember(name, entry), entry.answers));
      const forget = (): void => void inFlight.delete(name);
      pending.then(forget, forget);
      inFlight.set(name, pending);
    }
    return pending.then((answers) => sorted(answers, order));
  };
  return Object.assign(lookup as LookupFunction, { cacheSize: () => cache.size });
}

/** A name with no record of one family is not an error while the other family has some. */
function noRecords(error: NodeJS.ErrnoException): never[] {
  if (error.code === 'ENODATA' || error.code === 'ENOTFOUND') return [];
  throw error;
}

function sorted(answers: Answers, order: DnsOrder): Answers {
  if (order === 'verbatim') return answers;
  const first = order === 'ipv4first' ? 4 : 6;
  return [...answers.filter((a) => a.family === first), ...answers.filter((a) => a.family !== first)];
}
