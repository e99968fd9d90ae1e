import {
  assertValidPolicy,
  checkAddress,
  checkRequest,
  parsePortRanges,
  POLICY_DEFAULTS,
  type DestinationPolicy,
  type DestinationRequest,
} from '../../lib/server/policy';
import { parseTargetHost } from '../../lib/server/hostname';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { WispError } from '../../lib/errors';

const OK = undefined;
const { InvalidInfo, HostBlocked } = CloseReason;
const tcp = (hostname: string, port = 443): DestinationRequest => ({ type: 'tcp', hostname, port });

describe('POLICY_DEFAULTS', () => {
  it('is safe and frozen', () => {
    expect(POLICY_DEFAULTS).toEqual({
      allowLoopback: false,
      allowPrivate: false,
      allowLinkLocal: false,
      allowDirectIp: true,
      allowTcp: true,
      allowUdp: true,
    });
    expect(Object.isFrozen(POLICY_DEFAULTS)).toBe(true);
  });
});

describe('checkAddress', () => {
  const table: Array<[string, DestinationPolicy, number | undefined]> = [
    // defaults: only public unicast passes
    ['8.8.8.8', {}, OK],
    ['2606:4700:4700::1111', {}, OK],
    ['127.0.0.1', {}, HostBlocked],
    ['::1', {}, HostBlocked],
    ['::ffff:127.0.0.1', {}, HostBlocked],
    ['10.0.0.1', {}, HostBlocked],
    ['192.168.1.1', {}, HostBlocked],
    ['fd00::1', {}, HostBlocked],
    ['100.64.0.1', {}, HostBlocked],
    ['169.254.169.254', {}, HostBlocked],
    ['fe80::1', {}, HostBlocked],
    ['0.0.0.0', {}, HostBlocked],
    ['::', {}, HostBlocked],
    ['224.0.0.1', {}, HostBlocked],
    ['255.255.255.255', {}, HostBlocked],
    ['240.0.0.1', {}, HostBlocked],
    ['192.0.2.1', {}, HostBlocked],
    // allowLoopback
    ['127.0.0.1', { allowLoopback: true }, OK],
    ['::1', { allowLoopback: true }, OK],
    ['::ffff:127.0.0.1', { allowLoopback: true }, OK],
    ['10.0.0.1', { allowLoopback: true }, HostBlocked],
    // allowPrivate covers private and CGNAT, not loopback or link-local
    ['10.0.0.1', { allowPrivate: true }, OK],
    ['172.16.0.1', { allowPrivate: true }, OK],
    ['fd00::1', { allowPrivate: true }, OK],
    ['100.64.0.1', { allowPrivate: true }, OK],
    ['127.0.0.1', { allowPrivate: true }, HostBlocked],
    ['169.254.169.254', { allowPrivate: true }, HostBlocked],
    ['fe80::1', { allowPrivate: true }, HostBlocked],
    // metadata inside private/CGNAT space needs allowLinkLocal too
    ['fd00:ec2::254', { allowPrivate: true }, HostBlocked],
    ['100.100.100.200', { allowPrivate: true }, HostBlocked],
    ['fd00:ec2::254', { allowPrivate: true, allowLinkLocal: true }, OK],
    ['fd00:ec2::254', { allowLinkLocal: true }, HostBlocked],
    // allowLinkLocal
    ['169.254.169.254', { allowLinkLocal: true }, OK],
    ['fe80::1', { allowLinkLocal: true }, OK],
    ['10.0.0.1', { allowLinkLocal: true }, HostBlocked],
    // nothing reopens these
    ['0.0.0.0', { allowLoopback: true, allowPrivate: true, allowLinkLocal: true }, HostBlocked],
    ['::', { allowLoopback: true, allowPrivate: true, allowLinkLocal: true }, HostBlocked],
    ['224.0.0.1', { allowLoopback: true, allowPrivate: true, allowLinkLocal: true }, HostBlocked],
    ['255.255.255.255', { allowLoopback: true, allowPrivate: true, allowLinkLocal: true }, HostBlocked],
    // not an address: fail closed
    ['example.com', { allowLoopback: true, allowPrivate: true, allowLinkLocal: true }, HostBlocked],
  ];
  it.each(table)('%s with %j -> %s', (ip, policy, expected) => expect(checkAddress(policy, ip)).toBe(expected));
});

describe('checkRequest', () => {
  it('allows an ordinary public request under defaults', () => {
    expect(checkRequest({}, tcp('example.com'))).toBe(OK);
    expect(checkRequest({}, { type: 'udp', hostname: 'dns.example', port: 53 })).toBe(OK);
    expect(checkRequest({}, tcp('8.8.8.8'))).toBe(OK);
  });

  describe('invalid info (0x41)', () => {
    it.each([0, -1, 65536, 1.5, NaN])('port %s', (port) => expect(checkRequest({}, tcp('example.com', port))).toBe(InvalidInfo));

    it.each([
      ['empty', ''],
      ['254 characters', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`],
      ['a space', 'exa mple.com'],
      ['a tab', 'example.com\t'],
      ['NUL', 'example.com\u0000'],
      ['newline', 'example.com\nHost: evil'],
      ['DEL', 'exa\u007fmple.com'],
      ['C1 control', 'exa\u0085mple.com'],
      ['NBSP', 'exa\u00a0mple.com'],
      ['empty label', 'a..example.com'],
      ['leading dot', '.example.com'],
      ['lone dot', '.'],
      ['64-char label', `${'a'.repeat(64)}.com`],
      ['short IPv4', '127.1'],
      ['hex IPv4', '0x7f.0.0.1'],
      ['integer IPv4', '2130706433'],
      ['leading-zero IPv4', '127.0.0.01'],
      ['bracketed IPv4', '[127.0.0.1]'],
      ['unclosed bracket', '[::1'],
      ['bracketed name', '[example.com]'],
    ])('hostname with %s', (_what, hostname) => expect(checkRequest({ allowLoopback: true }, tcp(hostname))).toBe(InvalidInfo));

    it('accepts exactly 253 characters and a trailing dot', () => {
      const name253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
      expect(name253).toHaveLength(253);
      expect(checkRequest({}, tcp(name253))).toBe(OK);
      expect(checkRequest({}, tcp('example.com.'))).toBe(OK);
    });

    it('rejects an unknown stream type', () => {
      expect(checkRequest({}, { type: 'sctp' as 'tcp', hostname: 'example.com', port: 1 })).toBe(InvalidInfo);
    });
  });

  it('allowTcp / allowUdp', () => {
    expect(checkRequest({ allowTcp: false }, tcp('example.com'))).toBe(HostBlocked);
    expect(checkRequest({ allowTcp: false }, { type: 'udp', hostname: 'example.com', port: 53 })).toBe(OK);
    expect(checkRequest({ allowUdp: false }, { type: 'udp', hostname: 'example.com', port: 53 })).toBe(HostBlocked);
    expect(checkRequest({ allowUdp: false }, tcp('example.com'))).toBe(OK);
  });

  it('allowDirectIp', () => {
    expect(checkRequest({ allowDirectIp: false }, tcp('8.8.8.8'))).toBe(HostBlocked);
    expect(checkRequest({ allowDirectIp: false }, tcp('2606:4700:4700::1111'))).toBe(HostBlocked);
    expect(checkRequest({ allowDirectIp: false }, tcp('[2606:4700:4700::1111]'))).toBe(HostBlocked);
    expect(checkRequest({ allowDirectIp: false }, tcp('example.com'))).toBe(OK);
    expect(checkRequest({ allowDirectIp: true }, tcp('8.8.8.8'))).toBe(OK);
  });

  it('checks the address class of IP literals up front', () => {
    expect(checkRequest({}, tcp('127.0.0.1'))).toBe(HostBlocked);
    expect(checkRequest({}, tcp('[::1]'))).toBe(HostBlocked);
    expect(checkRequest({}, tcp('::ffff:10.0.0.1'))).toBe(HostBlocked);
    expect(checkRequest({}, tcp('169.254.169.254', 80))).toBe(HostBlocked);
    expect(checkRequest({ allowLoopback: true }, tcp('[::1]'))).toBe(OK);
  });

  describe('host lists', () => {
    it('hostDeny: exact and wildcard, case-insensitive, trailing dot ignored', () => {
      const policy: DestinationPolicy = { hostDeny: ['evil.com', '*.Tracker.example.'] };
      expect(checkRequest(policy, tcp('evil.com'))).toBe(HostBlocked);
      expect(checkRequest(policy, tcp('EVIL.com.'))).toBe(HostBlocked);
      expect(checkRequest(policy, tcp('sub.evil.com'))).toBe(OK); // exact means exact
      expect(checkRequest(policy, tcp('a.tracker.example'))).toBe(HostBlocked);
      expect(checkRequest(policy, tcp('a.b.TRACKER.example'))).toBe(HostBlocked);
      expect(checkRequest(policy, tcp('tracker.example'))).toBe(OK); // wildcard needs a label
      expect(checkRequest(policy, tcp('eviltracker.example'))).toBe(OK); // not a label boundary
      expect(checkRequest(policy, tcp('good.com'))).toBe(OK);
    });

    it('hostAllow admits only matches and wins over hostDeny', () => {
      const policy: DestinationPolicy = { hostAllow: ['*.example.com', 'example.com'], hostDeny: ['www.example.com'] };
      expect(checkRequest(policy, tcp('www.example.com'))).toBe(OK);
      expect(checkRequest(policy, tcp('example.com'))).toBe(OK);
      expect(checkRequest(policy, tcp('example.org'))).toBe(HostBlocked);
      expect(checkRequest(policy, tcp('8.8.8.8'))).toBe(HostBlocked);
    });

    it('matches IP literals by their text', () => {
      expect(checkRequest({ hostDeny: ['8.8.8.8'] }, tcp('8.8.8.8'))).toBe(HostBlocked);
      expect(checkRequest({ hostAllow: ['2606:4700:4700::1111'] }, tcp('[2606:4700:4700::1111]'))).toBe(OK);
    });

    it('an empty hostAllow means no allow-list', () => {
      expect(checkRequest({ hostAllow: [] }, tcp('example.com'))).toBe(OK);
    });
  });

  describe('port lists', () => {
    it('portDeny', () => {
      const policy: DestinationPolicy = { portDeny: parsePortRanges('25,6660-6669') };
      expect(checkRequest(policy, tcp('example.com', 25))).toBe(HostBlocked);
      expect(checkRequest(policy, tcp('example.com', 6660))).toBe(HostBlocked);
      expect(checkRequest(policy, tcp('example.com', 6669))).toBe(HostBlocked);
      expect(checkRequest(policy, tcp('example.com', 6670))).toBe(OK);
      expect(checkRequest(policy, tcp('example.com', 24))).toBe(OK);
    });

    it('portAllow admits only matches and wins over portDeny', () => {
      const policy: DestinationPolicy = { portAllow: parsePortRanges('80,443'), portDeny: parsePortRanges('443') };
      expect(checkRequest(policy, tcp('example.com', 443))).toBe(OK);
      expect(checkRequest(policy, tcp('example.com', 80))).toBe(OK);
      expect(checkRequest(policy, tcp('example.com', 22))).toBe(HostBlocked);
    });
  });

  it('reports invalid info before any policy refusal', () => {
    expect(checkRequest({ allowTcp: false }, tcp('example.com', 0))).toBe(InvalidInfo);
  });
});

describe('parsePortRanges', () => {
  it.each([
    ['80', [{ from: 80, to: 80 }]],
    ['80,443,8000-9000', [{ from: 80, to: 80 }, { from: 443, to: 443 }, { from: 8000, to: 9000 }]],
    [' 1 - 1024 , 65535 ', [{ from: 1, to: 1024 }, { from: 65535, to: 65535 }]],
    ['22-22', [{ from: 22, to: 22 }]],
  ])('parses %j', (text, ranges) => expect(parsePortRanges(text)).toEqual(ranges));

  it.each(['', '   ', '0', '65536', '80,', ',80', '80,,443', 'http', '-80', '80-', '9000-8000', '1-2-3', '+80', '8o', '80 443', '1e3', '0x50', '123456'])(
    'rejects %j with InvalidArgument',
    (text) => {
      let error: unknown;
      try {
        parsePortRanges(text);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(WispError);
      expect((error as WispError).code).toBe('InvalidArgument');
      expect((error as WispError).message).toContain('invalid port list');
    },
  );
});

describe('assertValidPolicy', () => {
  it('accepts sane policies', () => {
    expect(() => assertValidPolicy({})).not.toThrow();
    expect(() =>
      assertValidPolicy({ hostAllow: ['example.com', '*.example.com', '10.0.0.1'], portDeny: [{ from: 1, to: 1024 }] }),
    ).not.toThrow();
  });

  it.each<[string, DestinationPolicy]>([
    ['empty pattern', { hostDeny: [''] }],
    ['bare star', { hostDeny: ['*'] }],
    ['star in the middle', { hostAllow: ['a.*.com'] }],
    ['star without dot', { hostAllow: ['*example.com'] }],
    ['whitespace', { hostDeny: ['evil .com'] }],
    ['reversed range', { portDeny: [{ from: 10, to: 1 }] }],
    ['port 0', { portAllow: [{ from: 0, to: 10 }] }],
    ['fractional port', { portAllow: [{ from: 1.5, to: 10 }] }],
  ])('rejects %s', (_what, policy) => expect(() => assertValidPolicy(policy)).toThrow(WispError));
});

describe('parseTargetHost', () => {
  it('classifies literals and names', () => {
    expect(parseTargetHost('[::1]')).toEqual({ kind: 'ip', address: '::1', family: 6 });
    expect(parseTargetHost('::1')).toEqual({ kind: 'ip', address: '::1', family: 6 });
    expect(parseTargetHost('1.2.3.4')).toEqual({ kind: 'ip', address: '1.2.3.4', family: 4 });
    expect(parseTargetHost('Example.COM')).toEqual({ kind: 'name', name: 'Example.COM' });
    expect(parseTargetHost('1.2.3.example')).toEqual({ kind: 'name', name: '1.2.3.example' });
  });
});
