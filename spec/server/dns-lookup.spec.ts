/** createDnsLookup against a DNS responder of our own on 127.0.0.1. */
import { createDnsLookup } from '../../lib/server/dns-lookup';
import { resolveTarget } from '../../lib/server/resolve';
import { startDnsResponder, type DnsResponder } from './dns-responder';

let dns: DnsResponder;
beforeEach(async () => {
  dns = await startDnsResponder({
    'both.test': { addresses: ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'], ttl: 60 },
    'v4.test': { addresses: ['93.184.216.35'], ttl: 5 },
    'private.test': { addresses: ['93.184.216.36', '10.0.0.7'], ttl: 60 },
  });
});
afterEach(() => dns.close());

const lookupOf = (lookup: ReturnType<typeof createDnsLookup>, name: string) => lookup(name, { all: true, verbatim: true });

describe('createDnsLookup', () => {
  it('resolves through the given server, both families, in the order asked', async () => {
    const v6first = createDnsLookup({ servers: [dns.server], order: 'ipv6first' });
    expect((await lookupOf(v6first, 'both.test')).map((a) => a.family)).toEqual([6, 4]);
    const v4first = createDnsLookup({ servers: [dns.server], order: 'ipv4first' });
    expect(await lookupOf(v4first, 'both.test')).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
  });

  it('leaves IPv6 out entirely with ipv6: false (no AAAA query)', async () => {
    const lookup = createDnsLookup({ servers: [dns.server], ipv6: false });
    expect(await lookupOf(lookup, 'both.test')).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(dns.queries.map((q) => q.type)).toEqual([1]);
  });

  it('caches for the TTL, shares one query among concurrent lookups, and asks again after expiry', async () => {
    let clock = 1_000_000;
    const lookup = createDnsLookup({ servers: [dns.server], ipv6: false, now: () => clock });
    await Promise.all([lookupOf(lookup, 'v4.test'), lookupOf(lookup, 'V4.test'), lookupOf(lookup, 'v4.test')]);
    expect(dns.queries).toHaveLength(1);
    clock += 4_999;
    await lookupOf(lookup, 'v4.test');
    expect(dns.queries).toHaveLength(1);
    clock += 2;
    dns.records['v4.test'] = { addresses: ['93.184.216.99'], ttl: 5 };
    expect(await lookupOf(lookup, 'v4.test')).toEqual([{ address: '93.184.216.99', family: 4 }]);
    expect(dns.queries).toHaveLength(2);
  });

  it('bounds the cache, dropping the oldest name first', async () => {
    dns.records = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`n${i}.test`, { addresses: [`93.184.216.${i}`], ttl: 60 }]));
    const lookup = createDnsLookup({ servers: [dns.server], ipv6: false, cacheEntries: 4 });
    for (let i = 0; i < 10; i++) await lookupOf(lookup, `n${i}.test`);
    expect(lookup.cacheSize()).toBe(4);
    await lookupOf(lookup, 'n9.test'); // cached
    expect(dns.queries).toHaveLength(10);
    await lookupOf(lookup, 'n0.test'); // dropped long ago
    expect(dns.queries).toHaveLength(11);
  });

  it('reports an unknown name as ENOTFOUND, which the gateway maps to HostUnreachable', async () => {
    const lookup = createDnsLookup({ servers: [dns.server] });
    await expect(lookupOf(lookup, 'nothing.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolveTarget('nothing.test', {}, { lookup })).rejects.toMatchObject({ reason: 0x42 });
  });

  it('the policy still checks every resolved address: one private answer refuses the name', async () => {
    const lookup = createDnsLookup({ servers: [dns.server], ipv6: false });
    await expect(resolveTarget('private.test', {}, { lookup })).rejects.toMatchObject({ reason: 0x48 });
    expect(await resolveTarget('v4.test', {}, { lookup })).toEqual({ address: '93.184.216.35', family: 4 });
  });
});
