import { clientAddress, ConnectionLimiter, TrustedProxies, UNKNOWN_CLIENT } from '../../lib/server/client-limits';
import { WispError } from '../../lib/errors';

describe('clientAddress', () => {
  const proxies = ['127.0.0.1', '10.0.0.0/8', 'fd00::/8'];

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(clientAddress('203.0.113.5', { 'x-forwarded-for': '1.2.3.4' }, proxies)).toBe('203.0.113.5');
    expect(clientAddress('203.0.113.5', { 'x-forwarded-for': '1.2.3.4' }, [])).toBe('203.0.113.5');
  });

  it('uses the nearest untrusted hop when the peer is a trusted proxy', () => {
    expect(clientAddress('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }, proxies)).toBe('198.51.100.7');
  });

  it('walks from the right, skipping trusted proxies, and ignores spoofed entries to the left', () => {
    const headers = { 'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.1.2.3' };
    expect(clientAddress('127.0.0.1', headers, proxies)).toBe('198.51.100.7');
  });

  it('joins repeated headers in order', () => {
    const headers = { 'x-forwarded-for': ['6.6.6.6, 198.51.100.7', '10.1.2.3'] };
    expect(clientAddress('10.9.9.9', headers, proxies)).toBe('198.51.100.7');
  });

  it('returns the leftmost hop when every hop is trusted', () => {
    expect(clientAddress('127.0.0.1', { 'x-forwarded-for': '10.0.0.2, 10.0.0.1' }, proxies)).toBe('10.0.0.2');
  });

  it('returns the last trusted hop when a hop is malformed', () => {
    expect(clientAddress('127.0.0.1', { 'x-forwarded-for': '1.1.1.1, garbage, 10.0.0.1' }, proxies)).toBe('10.0.0.1');
    expect(clientAddress('127.0.0.1', { 'x-forwarded-for': 'unknown' }, proxies)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', { 'x-forwarded-for': '' }, proxies)).toBe('127.0.0.1');
  });

  it('returns the proxy itself when it sends no X-Forwarded-For', () => {
    expect(clientAddress('127.0.0.1', {}, proxies)).toBe('127.0.0.1');
  });

  it('accepts ports and brackets in hops, and any header-name case', () => {
    expect(clientAddress('127.0.0.1', { 'X-Forwarded-For': '198.51.100.7:5555' }, proxies)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', { 'x-forwarded-for': '[2001:DB8::1]:443' }, proxies)).toBe('2001:db8::1');
    expect(clientAddress('127.0.0.1', { 'x-forwarded-for': '2001:db8::1' }, proxies)).toBe('2001:db8::1');
  });

  it('treats an IPv4-mapped peer as its IPv4 address, and canonicalises the result', () => {
    expect(clientAddress('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }, proxies)).toBe('198.51.100.7');
    expect(clientAddress('::ffff:203.0.113.5', {}, proxies)).toBe('203.0.113.5');
    expect(clientAddress('2001:DB8:0:0:0:0:0:1', {}, proxies)).toBe('2001:db8::1');
    expect(clientAddress('fd00::5', { 'x-forwarded-for': '::ffff:198.51.100.7' }, proxies)).toBe('198.51.100.7');
  });

  it('handles a missing remote address', () => {
    expect(clientAddress(undefined, { 'x-forwarded-for': '1.2.3.4' }, proxies)).toBe(UNKNOWN_CLIENT);
  });

  it('accepts a precompiled TrustedProxies', () => {
    const trusted = new TrustedProxies(proxies);
    expect(clientAddress('10.0.0.1', { 'x-forwarded-for': '198.51.100.7' }, trusted)).toBe('198.51.100.7');
    expect(trusted.has('::ffff:10.0.0.1')).toBe(true);
    expect(trusted.has('11.0.0.1')).toBe(false);
    expect(trusted.has('nonsense')).toBe(false);
  });

  it('with a precompiled TrustedProxies, remembers the last untrusted peer only: the hops a proxy sends are read every time', () => {
    const trusted = new TrustedProxies(proxies);
    expect(clientAddress('::ffff:203.0.113.5', {}, trusted)).toBe('203.0.113.5');
    expect(clientAddress('::ffff:203.0.113.5', { 'x-forwarded-for': '1.2.3.4' }, trusted)).toBe('203.0.113.5');
    expect(clientAddress('10.1.2.3', { 'x-forwarded-for': '1.2.3.4' }, trusted)).toBe('1.2.3.4');
    expect(clientAddress('10.1.2.3', { 'x-forwarded-for': '5.6.7.8' }, trusted)).toBe('5.6.7.8');
    expect(clientAddress('198.51.100.7', {}, trusted)).toBe('198.51.100.7');
    expect(clientAddress('::ffff:203.0.113.5', {}, trusted)).toBe('203.0.113.5');
  });

  it('rejects a malformed trusted-proxy entry', () => {
    expect(() => new TrustedProxies(['10.0.0.0/33'])).toThrow(WispError);
    expect(() => clientAddress('127.0.0.1', {}, ['localhost'])).toThrow(WispError);
  });
});

describe('ConnectionLimiter', () => {
  it('admits up to maxPerClient per client and refuses the next', () => {
    const limiter = new ConnectionLimiter({ maxPerClient: 2 });
    const a = limiter.acquire('1.1.1.1');
    const b = limiter.acquire('1.1.1.1');
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(limiter.acquire('1.1.1.1')).toBeUndefined();
    expect(limiter.acquire('2.2.2.2')).toBeDefined(); // other clients are unaffected
    expect(limiter.count('1.1.1.1')).toBe(2);
  });

  it('frees a slot on release', () => {
    const limiter = new ConnectionLimiter({ maxPerClient: 1 });
    const release = limiter.acquire('c')!;
    expect(limiter.acquire('c')).toBeUndefined();
    release();
    expect(limiter.acquire('c')).toBeDefined();
  });

  it('release is idempotent and counts never go negative', () => {
    const limiter = new ConnectionLimiter({ maxPerClient: 2 });
    const r1 = limiter.acquire('c')!;
    const r2 = limiter.acquire('c')!;
    r1();
    r1();
    r1();
    expect(limiter.count('c')).toBe(1); // r1's repeats did not release r2's slot
    r2();
    r2();
    expect(limiter.count('c')).toBe(0);
    expect(limiter.acquire('c')).toBeDefined();
    expect(limiter.acquire('c')).toBeDefined();
    expect(limiter.acquire('c')).toBeUndefined();
  });

  it('forgets clients at zero, so memory does not grow with past clients', () => {
    const limiter = new ConnectionLimiter({ maxPerClient: 3 });
    for (let i = 0; i < 1000; i++) limiter.acquire(`10.0.${i >> 8}.${i & 255}`)!();
    expect(limiter.clients).toBe(0);
    const release = limiter.acquire('x')!;
    expect(limiter.clients).toBe(1);
    release();
    expect(limiter.clients).toBe(0);
  });

  it.each([0, -1, 1.5, NaN, Infinity])('rejects maxPerClient %s', (max) => {
    expect(() => new ConnectionLimiter({ maxPerClient: max })).toThrow(WispError);
  });
});
