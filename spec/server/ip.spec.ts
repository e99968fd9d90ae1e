import { cidrContains, formatIp, parseCidr, parseIp, unmapIp } from '../../lib/server/ip';
import { WispError } from '../../lib/errors';

function canon(text: string): string {
  const ip = parseIp(text);
  if (ip === undefined) throw new Error(`not an IP: ${text}`);
  return formatIp(ip);
}

describe('parseIp / formatIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['255.0.10.199', '255.0.10.199'],
    ['::ffff:192.168.1.255', '::ffff:c0a8:1ff'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], // a single zero word is not compressed
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('%s -> %s', (input, output) => expect(canon(input)).toBe(output));

  it('returns undefined for non-addresses', () => {
    expect(parseIp('example.com')).toBeUndefined();
    expect(parseIp('127.1')).toBeUndefined();
  });

  it('unmaps IPv4-mapped IPv6 only', () => {
    expect(formatIp(unmapIp(parseIp('::ffff:10.0.0.1')!))).toBe('10.0.0.1');
    expect(formatIp(unmapIp(parseIp('::1')!))).toBe('::1');
  });
});

describe('parseCidr / cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.0.1', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['192.0.2.7', '192.0.2.7', true],
    ['192.0.2.7', '192.0.2.8', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['fd00::/8', 'fd12::1', true],
    ['fd00::/8', 'fe00::1', false],
    ['2001:db8::/33', '2001:db8:7fff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['10.0.0.0/8', '::ffff:10.0.0.1', false], // families differ until unmapped
  ] as const)('%s contains %s: %s', (cidr, ip, expected) => {
    expect(cidrContains(parseCidr(cidr), parseIp(ip)!)).toBe(expected);
  });

  it.each(['', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', 'host/8', 'fe80::1%eth0/64', '10.0.0.0/8/8'])(
    'rejects %j',
    (text) => expect(() => parseCidr(text)).toThrow(WispError),
  );
});
