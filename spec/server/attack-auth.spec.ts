/** Password guessing: failures are counted per client address and lock that address out. */
import { createGateway, type Gateway } from '../../lib/server/gateway';
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { password } from '../../lib/wisp/extensions/index';
import { AuthLimiter } from '../../lib/server/auth-limiter';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import type { ExtensionBuilder } from '../../lib/wisp/extensions/extension';
import { LogLines } from './attack-helpers';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

/** Logs in through the gateway as if from `address` (the gateway trusts 127.0.0.1 as a proxy). */
async function login(gw: Gateway, address: string, pass: string): Promise<string> {
  try {
    const mux = await ClientMux.connect(gw.url, {
      connector: (u, p) => connectWs(u, p, { headers: { 'x-forwarded-for': address } }),
      extensions: [password({ username: 'alice', password: pass })],
    });
    await mux.close();
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('gateway against password guessing', () => {
  it('locks out an address after authMaxFailures failed logins; other addresses still log in', async () => {
    const log = new LogLines();
    const gw = await createGateway({ port: 0, passwords: { alice: 'secret' }, trustedProxies: ['127.0.0.1'], authMaxFailures: 3, logger: log });
    open.push({ close: () => gw.close({ graceMs: 0 }) });
    const guesses = [];
    for (let i = 0; i < 3; i++) guesses.push(await login(gw, '203.0.113.7', `guess${i}`));
    expect(guesses).toEqual(Array(3).fill('PasswordExtensionCredsInvalid'));
    await log.waitFor(/203\.0\.113\.7 locked out for 300000 ms after 3 failed logins/);
    // Locked out: even the right password is refused, without being checked.
    expect(await login(gw, '203.0.113.7', 'wrong again')).toBe('Throttled');
    expect(await login(gw, '203.0.113.7', 'secret')).toBe('Throttled');
    // Another address is not affected, and its success does not unlock the first.
    expect(await login(gw, '203.0.113.8', 'secret')).toBe('ok');
    expect(await login(gw, '203.0.113.7', 'secret')).toBe('Throttled');
  });

  it('the defaults limit guessing (10 failures a minute, 5 minutes lockout)', async () => {
    const gw = await createGateway({ port: 0, passwords: { alice: 'secret' } });
    open.push({ close: () => gw.close({ graceMs: 0 }) });
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await login(gw, '', `guess${i}`));
    expect(results.slice(0, 10)).toEqual(Array(10).fill('PasswordExtensionCredsInvalid'));
    expect(results[10]).toBe('Throttled');
  });
});

describe('AuthLimiter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** An auth extension whose authenticate answers `next` (undefined = accepted). */
  function fakeAuth(answers: (number | undefined)[]): ExtensionBuilder {
    return {
      id: 0x03,
      create: () => ({ id: 0x03, name: 'fake', encodeMetadata: () => new Uint8Array(), decodeMetadata: () => undefined, authenticate: () => answers.shift() }),
    };
  }

  it('counts key-auth failures too, ends the lockout after lockoutMs, and forgets failures after the window', async () => {
    const limiter = new AuthLimiter({ maxFailures: 2, windowMs: 1000, lockoutMs: 5000 });
    const attempt = async (answer: number | undefined): Promise<number | undefined> => {
      const [builder] = limiter.guard([fakeAuth([answer])], '198.51.100.1');
      return builder.create('server').authenticate!();
    };
    expect(await attempt(CloseReason.SignatureInvalid)).toBe(CloseReason.SignatureInvalid);
    jest.advanceTimersByTime(1001); // the window passed: that failure is forgotten
    expect(await attempt(CloseReason.SignatureInvalid)).toBe(CloseReason.SignatureInvalid);
    expect(await attempt(CloseReason.SignatureInvalid)).toBe(CloseReason.SignatureInvalid);
    expect(await attempt(undefined)).toBe(CloseReason.Throttled); // locked: not even asked
    jest.advanceTimersByTime(4999);
    expect(await limiter.locked('198.51.100.1')).toBe(true);
    jest.advanceTimersByTime(2);
    expect(await attempt(undefined)).toBeUndefined();
  });

  it('maxFailures 0 turns it off', () => {
    const limiter = new AuthLimiter({ maxFailures: 0, windowMs: 1000, lockoutMs: 1000 });
    const builder = fakeAuth([]);
    expect(limiter.guard([builder], 'x')[0]).toBe(builder);
  });
});
