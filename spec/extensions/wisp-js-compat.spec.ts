/**
 * Byte-for-byte compatibility of our extension metadata with @mercuryworkshop/wisp-js, the
 * most used JavaScript peer. wisp-js serializes a whole record (`id u8 · length u32 LE ·
 * metadata`); we compare the metadata part.
 */
import { motd, password, udp } from '../../lib/wisp/extensions/index';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import type { WispJsExtension, WispJsExtensionClass, WispJsFull } from '../wisp-js-types';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- its CommonJS bundle (the package is ESM-first)
const wispJs = require('@mercuryworkshop/wisp-js') as WispJsFull;
const { PasswordAuthExtension, MOTDExtension, UDPExtension, BaseExtension } = wispJs.extensions;
const { WispBuffer } = wispJs.packet;

/** wisp-js serialize() → the metadata bytes, after checking its record header. */
function wispJsMetadata(extension: WispJsExtension, id: number): Uint8Array {
  const record: Uint8Array = extension.serialize().bytes;
  expect(record[0]).toBe(id);
  const length = new DataView(record.buffer, record.byteOffset).getUint32(1, true);
  expect(record.length).toBe(5 + length);
  return new Uint8Array(record.subarray(5));
}

/** Wraps our metadata in a record and lets wisp-js parse it as sent by `sender`. */
function wispJsParse(extClass: WispJsExtensionClass, id: number, metadata: Uint8Array, sender: 'client' | 'server'): Record<string, unknown> {
  const record = new Uint8Array(5 + metadata.length);
  record[0] = id;
  new DataView(record.buffer).setUint32(1, metadata.length, true);
  record.set(metadata, 5);
  return BaseExtension.parse(extClass, new WispBuffer(record), sender).payload;
}

const credentials = [
  ['a', 'bc'],
  ['alice', 'hunter2'],
  ['ünïcødé', 'pässwörd ✓'],
  ['', ''],
  ['u'.repeat(255), 'p'.repeat(1000)],
] as const;

describe('password (0x02) vs wisp-js', () => {
  it.each(credentials)('client record for %j is identical to wisp-js', async (username, pass) => {
    const theirs = wispJsMetadata(new PasswordAuthExtension({ client_config: { username, password: pass } }), 0x02);
    const ours = await password({ username, password: pass }).create('client').encodeMetadata(Uint8Array.of(1));
    expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
  });

  it.each(credentials)('our server reads the wisp-js client record for %j', async (username, pass) => {
    const theirs = wispJsMetadata(new PasswordAuthExtension({ client_config: { username, password: pass } }), 0x02);
    const validate = jest.fn(() => true);
    const server = password({ validate }).create('server');
    server.decodeMetadata(theirs);
    expect(await server.authenticate!()).toBeUndefined();
    expect(validate).toHaveBeenCalledWith(username, pass);
  });

  it.each([
    [true, 1],
    [false, 0],
  ] as const)('server record (required=%s) is identical to wisp-js and both read it back', async (required, byte) => {
    const theirs = wispJsMetadata(new PasswordAuthExtension({ server_config: { required: byte } }), 0x02);
    const ours = await password({ validate: () => true, required }).create('server').encodeMetadata();
    expect(Array.from(ours)).toEqual(Array.from(theirs));
    expect(Array.from(ours)).toEqual([byte]);
    expect(wispJsParse(PasswordAuthExtension, 0x02, ours, 'server').required).toBe(byte);
    expect(() => password({ username: 'a', password: 'b' }).create('client').decodeMetadata(theirs)).not.toThrow();
  });

  it('a wisp-js client with wrong credentials is refused with 0xc0', async () => {
    const theirs = wispJsMetadata(new PasswordAuthExtension({ client_config: { username: 'a', password: 'wrong' } }), 0x02);
    const server = password({ validate: (u, p) => u === 'a' && p === 'right' }).create('server');
    server.decodeMetadata(theirs);
    expect(await server.authenticate!()).toBe(CloseReason.PasswordInvalid);
  });
});

describe('motd (0x04) vs wisp-js', () => {
  it('server record is identical to wisp-js and each side reads the other', async () => {
    const message = 'Welcome ✓ — rate limits apply';
    const theirs = wispJsMetadata(new MOTDExtension({ server_config: { message } }), 0x04);
    const ours = await motd(message).create('server').encodeMetadata();
    expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
    expect(wispJsParse(MOTDExtension, 0x04, ours, 'server').message).toBe(message);
    const client = motd().create('client');
    client.decodeMetadata(theirs);
    expect(client.message).toBe(message);
  });

  it('client record is empty, as wisp-js sends it', async () => {
    expect(wispJsMetadata(new MOTDExtension({ client_config: {} }), 0x04).length).toBe(0);
    expect((await motd().create('client').encodeMetadata(new Uint8Array(0))).length).toBe(0);
  });
});

describe('udp (0x01) vs wisp-js', () => {
  it('both records are empty, as wisp-js sends them', async () => {
    expect(wispJsMetadata(new UDPExtension({ server_config: {} }), 0x01).length).toBe(0);
    expect(wispJsMetadata(new UDPExtension({ client_config: {} }), 0x01).length).toBe(0);
    expect((await udp().create('server').encodeMetadata()).length).toBe(0);
    expect((await udp().create('client').encodeMetadata(new Uint8Array(0))).length).toBe(0);
  });
});
