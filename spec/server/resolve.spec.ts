import { literalTarget, resolveTarget, type LookupFunction } from '../../lib/server/resolve';
import { DialError, isDialError } from '../../lib/server/dial-error';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { isWispError } from '../../lib/errors';

type Answer = { address: string; family: number };

function answers(...list: Answer[]): jest.MockedFunction<LookupFunction> {
  return jest.fn<ReturnType<LookupFunction>, Parameters<LookupFunction>>(() => Promise.resolve(list));
}

function failing(code: string): jest.MockedFunction<LookupFunction> {
  return jest.fn<ReturnType<LookupFunction>, Parameters<LookupFunction>>((hostname) =>
    Promise.reject(Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, hostname })),
  );
}

async function reasonOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
  } catch (err) {
    expect(isDialError(err)).toBe(true);
    expect(isWispError(err, 'DialFailed')).toBe(true);
    return (err as DialError).reason;
  }
  throw new Error('expected a rejection');
}

describe('resolveTarget', () => {
  it('looks a name up with all + verbatim and returns the first answer', async () => {
    const lookup = answers({ address: '2606:4700:4700::1111', family: 6 }, { address: '1.1.1.1', family: 4 });
    await expect(resolveTarget('one.example', {}, { lookup })).resolves.toEqual({ address: '2606:4700:4700::1111', family: 6 });
    expect(lookup).toHaveBeenCalledWith('one.example', { all: true, verbatim: true });
  });

  it('refuses a name whose answers mix public and private addresses', async () => {
    const lookup = answers({ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 });
    expect(await reasonOf(resolveTarget('rebind.example', {}, { lookup }))).toBe(CloseReason.HostBlocked);
  });

  it('refuses when a blocked answer comes first, too', async () => {
    const lookup = answers({ address: '127.0.0.1', family: 4 }, { address: '93.184.216.34', family: 4 });
    expect(await reasonOf(resolveTarget('rebind.example', {}, { lookup }))).toBe(CloseReason.HostBlocked);
  });

  it('refuses IPv4-mapped and metadata answers', async () => {
    const mapped = answers({ address: '::ffff:192.168.0.1', family: 6 });
    expect(await reasonOf(resolveTarget('a.example', {}, { lookup: mapped }))).toBe(CloseReason.HostBlocked);
    const metadata = answers({ address: 'fd00:ec2::254', family: 6 });
    expect(await reasonOf(resolveTarget('b.example', { allowPrivate: true }, { lookup: metadata }))).toBe(CloseReason.HostBlocked);
  });

  it('lets private answers through when the policy allows them', async () => {
    const lookup = answers({ address: '10.0.0.5', family: 4 }, { address: '93.184.216.34', family: 4 });
    await expect(resolveTarget('intranet.example', { allowPrivate: true }, { lookup })).resolves.toEqual({ address: '10.0.0.5', family: 4 });
  });

  it('takes the family from the address text, not the resolver', async () => {
    const lookup = answers({ address: '93.184.216.34', family: 6 });
    await expect(resolveTarget('a.example', {}, { lookup })).resolves.toEqual({ address: '93.184.216.34', family: 4 });
  });

  it('refuses a malformed answer (fail closed)', async () => {
    const lookup = answers({ address: 'garbage', family: 4 });
    expect(await reasonOf(resolveTarget('a.example', {}, { lookup }))).toBe(CloseReason.HostBlocked);
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN', 'ENODATA', 'ESERVFAIL'])('maps lookup failure %s to 0x42', async (code) => {
    const lookup = failing(code);
    const promise = resolveTarget('nowhere.example', {}, { lookup });
    await expect(promise).rejects.toThrow(code);
    expect(await reasonOf(promise)).toBe(CloseReason.HostUnreachable);
  });

  it('maps an empty answer to 0x42', async () => {
    expect(await reasonOf(resolveTarget('empty.example', {}, { lookup: answers() }))).toBe(CloseReason.HostUnreachable);
  });

  describe('IP literals', () => {
    it('skip DNS but are still checked', async () => {
      const lookup = answers();
      await expect(resolveTarget('8.8.8.8', {}, { lookup })).resolves.toEqual({ address: '8.8.8.8', family: 4 });
      await expect(resolveTarget('[2606:4700:4700::1111]', {}, { lookup })).resolves.toEqual({ address: '2606:4700:4700::1111', family: 6 });
      expect(await reasonOf(resolveTarget('127.0.0.1', {}, { lookup }))).toBe(CloseReason.HostBlocked);
      expect(await reasonOf(resolveTarget('[::1]', {}, { lookup }))).toBe(CloseReason.HostBlocked);
      expect(await reasonOf(resolveTarget('::ffff:127.0.0.1', {}, { lookup }))).toBe(CloseReason.HostBlocked);
      expect(lookup).not.toHaveBeenCalled();
    });

    it('are allowed through by the matching flag', async () => {
      await expect(resolveTarget('[::1]', { allowLoopback: true }, { lookup: answers() })).resolves.toEqual({ address: '::1', family: 6 });
    });

    it('are refused when direct IPs are disabled', async () => {
      expect(await reasonOf(resolveTarget('8.8.8.8', { allowDirectIp: false }, { lookup: answers() }))).toBe(CloseReason.HostBlocked);
    });
  });

  it('uses the system resolver by default (localhost is loopback)', async () => {
    expect(await reasonOf(resolveTarget('localhost', {}))).toBe(CloseReason.HostBlocked);
    const target = await resolveTarget('localhost', { allowLoopback: true });
    expect(['127.0.0.1', '::1']).toContain(target.address);
  });

  it('refuses a malformed hostname without looking it up', async () => {
    const lookup = answers({ address: '127.0.0.1', family: 4 });
    expect(await reasonOf(resolveTarget('127.1', { allowLoopback: true }, { lookup }))).toBe(CloseReason.InvalidInfo);
    expect(await reasonOf(resolveTarget('', {}, { lookup }))).toBe(CloseReason.InvalidInfo);
    expect(lookup).not.toHaveBeenCalled();
  });

  describe('abort', () => {
    it('rejects at once when already aborted', async () => {
      const lookup = answers({ address: '8.8.8.8', family: 4 });
      expect(await reasonOf(resolveTarget('a.example', {}, { lookup, signal: AbortSignal.abort() }))).toBe(CloseReason.Voluntary);
      expect(lookup).not.toHaveBeenCalled();
    });

    it('stops waiting for a lookup in flight', async () => {
      const controller = new AbortController();
      let answer!: (list: Answer[]) => void;
      const lookup: LookupFunction = () => new Promise((resolve) => { answer = resolve; });
      const promise = resolveTarget('slow.example', {}, { lookup, signal: controller.signal });
      controller.abort();
      expect(await reasonOf(promise)).toBe(CloseReason.Voluntary);
      answer([{ address: '8.8.8.8', family: 4 }]); // the late answer is ignored
    });
  });
});

describe('literalTarget (the dialler\'s no-wait path)', () => {
  it('answers a checked literal at once, and nothing for a name', () => {
    expect(literalTarget('127.0.0.1', { allowLoopback: true })).toEqual({ address: '127.0.0.1', family: 4 });
    expect(literalTarget('[::1]', { allowLoopback: true })).toEqual({ address: '::1', family: 6 });
    expect(literalTarget('example.com', {})).toBeUndefined();
  });

  it('refuses what resolveTarget refuses, with the same reasons', () => {
    const reason = (host: string, policy = {}): number | undefined => {
      try {
        literalTarget(host, policy);
        return undefined;
      } catch (error) {
        return isDialError(error) ? error.reason : -1;
      }
    };
    expect(reason('127.0.0.1')).toBe(CloseReason.HostBlocked);
    expect(reason('8.8.8.8', { allowDirectIp: false })).toBe(CloseReason.HostBlocked);
    expect(reason('bad host')).toBe(CloseReason.InvalidInfo);
  });
});
