import { ExtensionId, password, staticUsers, type PasswordValidator } from '../../lib/wisp/extensions/index';
import type { ProtocolExtension } from '../../lib/wisp/extensions/extension';
import { WispError } from '../../lib/errors';
import { CloseReason } from '../../lib/wisp/packet/close-reason';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (...b: number[]) => Uint8Array.from(b);

function thrown(fn: () => unknown): WispError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WispError);
    return e as WispError;
  }
  throw new Error('expected a WispError, nothing was thrown');
}

/** Runs the server side of the handshake on one client record. */
async function serverVerdict(server: ProtocolExtension, record: Uint8Array): Promise<number | undefined> {
  server.decodeMetadata(record);
  return server.authenticate!();
}

async function clientRecord(username: string, pass: string, serverMeta = bytes(1)): Promise<Uint8Array> {
  return password({ username, password: pass }).create('client').encodeMetadata(serverMeta);
}

describe('password() client', () => {
  it('encodes username_len u8 · password_len u16 LE · username · password', async () => {
    expect(hex(await clientRecord('a', 'bc'))).toBe('010200616263');
  });

  it('counts UTF-8 bytes, not characters, and writes password_len little-endian', async () => {
    const record = await clientRecord('ü', 'x'.repeat(300));
    expect(Array.from(record.subarray(0, 5))).toEqual([2, 0x2c, 0x01, 0xc3, 0xbc]);
    expect(record.length).toBe(3 + 2 + 300);
  });

  it('sends the same record whether the server says required, optional or nothing', async () => {
    const ext = password({ username: 'a', password: 'bc' }).create('client');
    for (const meta of [bytes(1), bytes(0), new Uint8Array(0)]) {
      expect(() => ext.decodeMetadata(meta)).not.toThrow();
      expect(hex(await ext.encodeMetadata(meta))).toBe('010200616263');
    }
  });

  it('accepts the longest fields and rejects longer ones with InvalidArgument', () => {
    expect(() => password({ username: 'u'.repeat(255), password: 'p'.repeat(65535) })).not.toThrow();
    expect(thrown(() => password({ username: 'u'.repeat(256), password: '' })).code).toBe('InvalidArgument');
    // 128 two-byte characters: 128 characters but 256 bytes.
    expect(thrown(() => password({ username: 'ü'.repeat(128), password: '' })).code).toBe('InvalidArgument');
    expect(thrown(() => password({ username: 'a', password: 'p'.repeat(65536) })).code).toBe('InvalidArgument');
  });

  it('cannot create a server instance', () => {
    expect(thrown(() => password({ username: 'a', password: 'b' }).create('server')).code).toBe('InvalidArgument');
  });

  it('rejects options of neither shape', () => {
    expect(thrown(() => password({ username: 'a' } as never)).code).toBe('InvalidArgument');
  });
});

describe('password() server', () => {
  const yes: PasswordValidator = () => true;

  it('sends required u8 (default required) and requires the client', async () => {
    const ext = password({ validate: yes }).create('server');
    expect(ext.id).toBe(ExtensionId.Password);
    expect(Array.from(await ext.encodeMetadata())).toEqual([1]);
    expect(ext.requiredOfPeer).toBe(true);
    expect(ext.missingReason).toBe(CloseReason.AuthRequired);
  });

  it('optional: sends 0 and does not require the client', async () => {
    const ext = password({ validate: yes, required: false }).create('server');
    expect(Array.from(await ext.encodeMetadata())).toEqual([0]);
    expect(ext.requiredOfPeer).toBe(false);
  });

  it('cannot create a client instance', () => {
    expect(thrown(() => password({ validate: yes }).create('client')).code).toBe('InvalidArgument');
  });

  it('accepts when the validator says true, passing it the exact credentials', async () => {
    const validate = jest.fn(() => Promise.resolve(true));
    const verdict = await serverVerdict(password({ validate }).create('server'), await clientRecord('ålice', 'pä ss'));
    expect(verdict).toBeUndefined();
    expect(validate).toHaveBeenCalledWith('ålice', 'pä ss');
  });

  it('refuses with 0xc0 when the validator says false, even when not required', async () => {
    for (const required of [true, false]) {
      const server = password({ validate: () => false, required }).create('server');
      expect(await serverVerdict(server, await clientRecord('a', 'bc'))).toBe(CloseReason.PasswordInvalid);
    }
  });

  it('refuses with 0xc0 when the validator returns a truthy non-boolean', async () => {
    const server = password({ validate: (() => 'yes') as unknown as PasswordValidator }).create('server');
    expect(await serverVerdict(server, await clientRecord('a', 'bc'))).toBe(CloseReason.PasswordInvalid);
  });

  it('refuses with 0xc0 instead of crashing when the validator throws or rejects', async () => {
    const throwing = password({
      validate: () => {
        throw new Error('db down');
      },
    }).create('server');
    expect(await serverVerdict(throwing, await clientRecord('a', 'bc'))).toBe(CloseReason.PasswordInvalid);
    const rejecting = password({ validate: () => Promise.reject(new Error('db down')) }).create('server');
    expect(await serverVerdict(rejecting, await clientRecord('a', 'bc'))).toBe(CloseReason.PasswordInvalid);
  });

  it.each([
    ['empty', []],
    ['shorter than the header', [1, 0]],
    ['username beyond the buffer', [5, 0, 0, 0x61]],
    ['password beyond the buffer', [1, 3, 0, 0x61, 0x62]],
    ['u16 password length read as one byte would fit', [0, 1, 1, 0x61]],
    ['trailing bytes', [1, 1, 0, 0x61, 0x62, 0x63]],
    ['invalid UTF-8 username', [1, 0, 0, 0xff]],
    ['invalid UTF-8 password', [0, 2, 0, 0xc3, 0x28]],
  ])('malformed client metadata (%s): decode throws with reason 0xc0, authenticate refuses 0xc0', async (_n, record) => {
    const validate = jest.fn(() => true);
    const server = password({ validate, required: false }).create('server');
    const err = thrown(() => server.decodeMetadata(Uint8Array.from(record)));
    expect(err.code).toBe('InvalidExtensionMetadata');
    expect(err.reason).toBe(CloseReason.PasswordInvalid);
    expect(await server.authenticate!()).toBe(CloseReason.PasswordInvalid);
    expect(validate).not.toHaveBeenCalled();
  });

  it('accepts empty username and password fields', async () => {
    const validate = jest.fn(() => true);
    expect(await serverVerdict(password({ validate }).create('server'), bytes(0, 0, 0))).toBeUndefined();
    expect(validate).toHaveBeenCalledWith('', '');
  });

  it('keeps each connection separate', async () => {
    const builder = password({ validate: (u, p) => u === 'a' && p === 'bc' });
    const good = builder.create('server');
    const bad = builder.create('server');
    good.decodeMetadata(await clientRecord('a', 'bc'));
    bad.decodeMetadata(await clientRecord('a', 'wrong'));
    expect(await bad.authenticate!()).toBe(CloseReason.PasswordInvalid);
    expect(await good.authenticate!()).toBeUndefined();
  });

  it('refuses when authenticate runs without any decoded credentials', async () => {
    expect(await password({ validate: yes }).create('server').authenticate!()).toBe(CloseReason.AuthRequired);
  });
});

describe('staticUsers()', () => {
  const validate = staticUsers({ alice: 'wonderland', bob: 'builder', empty: '' });

  it('accepts the right user and password', async () => {
    await expect(validate('alice', 'wonderland')).resolves.toBe(true);
    await expect(validate('bob', 'builder')).resolves.toBe(true);
    await expect(validate('empty', '')).resolves.toBe(true);
  });

  it('refuses a wrong password, another user\'s password and an unknown user', async () => {
    await expect(validate('alice', 'wonderlan')).resolves.toBe(false);
    await expect(validate('alice', 'wonderland ')).resolves.toBe(false);
    await expect(validate('alice', 'builder')).resolves.toBe(false);
    await expect(validate('carol', 'wonderland')).resolves.toBe(false);
    await expect(validate('carol', '')).resolves.toBe(false);
  });

  it('does not treat inherited object properties as users', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      await expect(validate(name, '')).resolves.toBe(false);
      await expect(validate(name, 'function Object() { [native code] }')).resolves.toBe(false);
    }
  });

  it('accepts a Map and copies the table', async () => {
    const table = new Map([['alice', 'one']]);
    const fromMap = staticUsers(table);
    table.set('alice', 'two');
    table.set('mallory', 'x');
    await expect(fromMap('alice', 'one')).resolves.toBe(true);
    await expect(fromMap('alice', 'two')).resolves.toBe(false);
    await expect(fromMap('mallory', 'x')).resolves.toBe(false);
  });

  it('hashes the given password for unknown users too (same work, so timing shows nothing)', async () => {
    const digest = jest.spyOn(globalThis.crypto.subtle, 'digest');
    try {
      await validate('alice', 'warm-up'); // stored digests are computed on first use
      digest.mockClear();
      await validate('alice', 'nope');
      const known = digest.mock.calls.length;
      digest.mockClear();
      await validate('nobody', 'nope');
      const unknown = digest.mock.calls.length;
      expect(known).toBe(1);
      expect(unknown).toBe(known);
    } finally {
      digest.mockRestore();
    }
  });

  it('works end to end as a password server validator', async () => {
    const builder = password({ validate });
    expect(await serverVerdict(builder.create('server'), await clientRecord('alice', 'wonderland'))).toBeUndefined();
    expect(await serverVerdict(builder.create('server'), await clientRecord('alice', 'x'))).toBe(CloseReason.PasswordInvalid);
    expect(await serverVerdict(builder.create('server'), await clientRecord('zed', 'x'))).toBe(CloseReason.PasswordInvalid);
  });
});
