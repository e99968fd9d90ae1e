import { classifyAddress, isCloudMetadataAddress, type AddressClass } from '../../lib/server/address-class';
import { WispError } from '../../lib/errors';

const v4: Array<[string, AddressClass]> = [
  ['0.0.0.0', 'unspecified'],
  ['0.255.255.255', 'unspecified'],
  ['1.0.0.0', 'public'],
  ['8.8.8.8', 'public'],
  ['9.255.255.255', 'public'],
  ['10.0.0.0', 'private'],
  ['10.255.255.255', 'private'],
  ['11.0.0.0', 'public'],
  ['100.63.255.255', 'public'],
  ['100.64.0.0', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.128.0.0', 'public'],
  ['126.255.255.255', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.255', 'loopback'],
  ['128.0.0.0', 'public'],
  ['169.253.255.255', 'public'],
  ['169.254.0.0', 'linkLocal'],
  ['169.254.169.254', 'linkLocal'],
  ['169.255.0.0', 'public'],
  ['172.15.255.255', 'public'],
  ['172.16.0.0', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.0', 'public'],
  ['192.0.0.192', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['192.167.255.255', 'public'],
  ['192.168.0.0', 'private'],
  ['192.168.255.255', 'private'],
  ['192.169.0.0', 'public'],
  ['198.18.0.1', 'reserved'],
  ['198.19.255.255', 'reserved'],
  ['198.20.0.0', 'public'],
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['223.255.255.255', 'public'],
  ['224.0.0.0', 'multicast'],
  ['239.255.255.255', 'multicast'],
  ['240.0.0.0', 'reserved'],
  ['255.255.255.254', 'reserved'],
  ['255.255.255.255', 'broadcast'],
];

const v6: Array<[string, AddressClass]> = [
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::2', 'reserved'],
  ['2606:4700:4700::1111', 'public'],
  ['2001:4860:4860::8888', 'public'],
  ['1fff:ffff::', 'reserved'],
  ['4000::1', 'reserved'],
  ['fbff:ffff::', 'reserved'],
  ['fc00::', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'private'],
  ['fe7f:ffff::', 'reserved'],
  ['fe80::', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['febf:ffff::', 'linkLocal'],
  ['fec0::1', 'private'],
  ['ff00::', 'multicast'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'],
  ['2001:2::1', 'reserved'],
  ['3fff::1', 'reserved'],
  ['100::1', 'reserved'],
  ['::7f00:1', 'reserved'], // deprecated IPv4-compatible form
  ['FE80::ABCD', 'linkLocal'],
];

const mapped: Array<[string, AddressClass]> = [
  ['::ffff:127.0.0.1', 'loopback'],
  ['::FFFF:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:172.15.255.255', 'public'],
  ['::ffff:172.16.0.0', 'private'],
  ['::ffff:100.63.255.255', 'public'],
  ['::ffff:100.64.0.0', 'cgnat'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:255.255.255.255', 'broadcast'],
  ['::ffff:224.0.0.1', 'multicast'],
  ['::ffff:8.8.8.8', 'public'],
  ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
];

const embedded: Array<[string, AddressClass]> = [
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::a00:1', 'private'],
  ['64:ff9b::8.8.8.8', 'public'],
  ['64:ff9b:1::1', 'private'],
  ['2002:7f00:1::', 'loopback'],
  ['2002:a9fe:a9fe::1', 'linkLocal'],
  ['2002:808:808::1', 'public'],
];

describe('classifyAddress', () => {
  it.each(v4)('IPv4 %s is %s', (ip, cls) => expect(classifyAddress(ip)).toBe(cls));
  it.each(v6)('IPv6 %s is %s', (ip, cls) => expect(classifyAddress(ip)).toBe(cls));
  it.each(mapped)('IPv4-mapped %s is %s', (ip, cls) => expect(classifyAddress(ip)).toBe(cls));
  it.each(embedded)('NAT64/6to4 %s is %s', (ip, cls) => expect(classifyAddress(ip)).toBe(cls));

  it.each(['', 'localhost', '127.1', '01.2.3.4', '1.2.3.256', '[::1]', '1::2::3', '::1/128'])(
    'rejects %j as not an address',
    (text) => {
      expect(() => classifyAddress(text)).toThrow(WispError);
      try {
        classifyAddress(text);
      } catch (err) {
        expect((err as WispError).code).toBe('InvalidArgument');
      }
    },
  );
});

describe('isCloudMetadataAddress', () => {
  it.each([
    '169.254.169.254',
    '169.254.170.2',
    '100.100.100.200',
    'fd00:ec2::254',
    'FD00:EC2:0:0:0:0:0:254',
    '::ffff:169.254.169.254',
    '::ffff:100.100.100.200',
    '64:ff9b::a9fe:a9fe',
  ])('%s is a metadata address', (ip) => expect(isCloudMetadataAddress(ip)).toBe(true));

  it.each(['169.254.169.253', '8.8.8.8', 'fd00:ec2::253', 'not-an-ip'])('%s is not', (ip) =>
    expect(isCloudMetadataAddress(ip)).toBe(false),
  );
});
