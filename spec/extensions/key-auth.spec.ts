import { createHash } from 'node:crypto';
import { verifyAsync } from '@noble/ed25519';
import {
  ExtensionId,
  generateKeyPair,
  keyAuth,
  parsePrivateKey,
  parsePublicKey,
  publicKeyFromPrivate,
  type KeyPair,
} from '../../lib/wisp/extensions/index';
import type { ExtensionBuilder } from '../../lib/wisp/extensions/extension';
import { WispError } from '../../lib/errors';
import { CloseReason } from '../../lib/wisp/packet/close-reason';

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// RFC 8032, section 7.1, TEST 1.
const RFC_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

async function thrownAsync(fn: () => unknown): Promise<WispError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WispError);
    return e as WispError;
  }
  throw new Error('expected a WispError, nothing was thrown');
}

/** One v2 handshake's worth of key auth: server INFO → client INFO → server verdict. */
async function handshake(server: ExtensionBuilder, client: ExtensionBuilder) {
  const s = server.create('server');
  const c = client.create('client');
  const serverMeta = await s.encodeMetadata();
  c.decodeMetadata(serverMeta);
  const clientMeta = await c.encodeMetadata(serverMeta);
  s.decodeMetadata(clientMeta);
  return { verdict: await s.authenticate!(), serverMeta, clientMeta };
}

let alice: KeyPair;
let bob: KeyPair;
beforeAll(async () => {
  [alice, bob] = await Promise.all([generateKeyPair(), generateKeyPair()]);
});

describe('keyAuth() server metadata', () => {
  it('is required u8 · algorithms u8 (Ed25519) · 64-byte challenge', async () => {
    const meta = await keyAuth({ publicKeys: [alice.publicKey] }).create('server').encodeMetadata();
    expect(meta.length).toBe(2 + 64);
    expect(Array.from(meta.subarray(0, 2))).toEqual([1, 0x01]);
    const optional = await keyAuth({ publicKeys: [alice.publicKey], required: false }).create('server').encodeMetadata();
    expect(Array.from(optional.subarray(0, 2))).toEqual([0, 0x01]);
  });

  it('uses a fresh challenge per connection, the same one throughout a connection', async () => {
    const builder = keyAuth({ publicKeys: [alice.publicKey] });
    const one = builder.create('server');
    const two = builder.create('server');
    const a = (await one.encodeMetadata()).subarray(2);
    const b = (await two.encodeMetadata()).subarray(2);
    expect(a.length).toBe(64);
    expect(b.length).toBe(64);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect((await one.encodeMetadata()).subarray(2)).toEqual(a);
  });

  it('requires the client by default, with AuthRequired when absent', () => {
    const ext = keyAuth({ publicKeys: [alice.publicKey] }).create('server');
    expect(ext.id).toBe(ExtensionId.KeyAuth);
    expect(ext.requiredOfPeer).toBe(true);
    expect(ext.missingReason).toBe(CloseReason.AuthRequired);
    expect(keyAuth({ publicKeys: [alice.publicKey], required: false }).create('server').requiredOfPeer).toBe(false);
  });
});

describe('keyAuth() client metadata', () => {
  it('is algorithm 0x01 · sha256(public key) · Ed25519 signature over the challenge', async () => {
    const server = keyAuth({ publicKeys: [alice.publicKey] }).create('server');
    const serverMeta = await server.encodeMetadata();
    const record = await keyAuth({ privateKey: alice.privateKey }).create('client').encodeMetadata(serverMeta);
    expect(record.length).toBe(1 + 32 + 64);
    expect(record[0]).toBe(0x01);
    expect(record.subarray(1, 33)).toEqual(sha256(alice.publicKey));
    await expect(verifyAsync(record.subarray(33), serverMeta.subarray(2), alice.publicKey)).resolves.toBe(true);
  });

  it('signs whatever challenge an (optional) server sends', async () => {
    const challenge = new Uint8Array(32).fill(7);
    const record = await keyAuth({ privateKey: alice.privateKey })
      .create('client')
      .encodeMetadata(Uint8Array.of(0, 0x01, ...challenge));
    await expect(verifyAsync(record.subarray(33), challenge, alice.publicKey)).resolves.toBe(true);
  });

  it.each([
    ['no server metadata', undefined],
    ['too short', Uint8Array.of(1)],
    ['no Ed25519 bit', Uint8Array.of(1, 0x02, 1, 2, 3)],
  ])('rejects a server with %s (InvalidExtensionMetadata)', async (_n, meta) => {
    const client = keyAuth({ privateKey: alice.privateKey }).create('client');
    expect((await thrownAsync(() => client.encodeMetadata(meta))).code).toBe('InvalidExtensionMetadata');
  });

  it('decodeMetadata checks the server record too', () => {
    const client = keyAuth({ privateKey: alice.privateKey }).create('client');
    expect(() => client.decodeMetadata(Uint8Array.of(1, 0x01, 9))).not.toThrow();
    expect(() => client.decodeMetadata(Uint8Array.of(1))).toThrow(WispError);
    expect(() => client.decodeMetadata(Uint8Array.of(1, 0x00))).toThrow(WispError);
  });
});

describe('keyAuth() verification', () => {
  it('accepts an allowed key (any of several)', async () => {
    const server = keyAuth({ publicKeys: [bob.publicKey, alice.publicKey] });
    expect((await handshake(server, keyAuth({ privateKey: alice.privateKey }))).verdict).toBeUndefined();
    expect((await handshake(server, keyAuth({ privateKey: bob.privateKey }))).verdict).toBeUndefined();
  });

  it('refuses an unknown key with 0xc1', async () => {
    const { verdict } = await handshake(keyAuth({ publicKeys: [alice.publicKey] }), keyAuth({ privateKey: bob.privateKey }));
    expect(verdict).toBe(CloseReason.SignatureInvalid);
  });

  it('refuses a tampered signature with 0xc1', async () => {
    const builder = keyAuth({ publicKeys: [alice.publicKey] });
    const server = builder.create('server');
    const record = await keyAuth({ privateKey: alice.privateKey }).create('client').encodeMetadata(await server.encodeMetadata());
    record[40] ^= 0x01;
    server.decodeMetadata(record);
    expect(await server.authenticate!()).toBe(CloseReason.SignatureInvalid);
  });

  it("refuses an allowed key's hash with another key's signature", async () => {
    const server = keyAuth({ publicKeys: [alice.publicKey] }).create('server');
    const record = await keyAuth({ privateKey: bob.privateKey }).create('client').encodeMetadata(await server.encodeMetadata());
    record.set(sha256(alice.publicKey), 1);
    server.decodeMetadata(record);
    expect(await server.authenticate!()).toBe(CloseReason.SignatureInvalid);
  });

  it("refuses a signature replayed from another connection's challenge", async () => {
    const builder = keyAuth({ publicKeys: [alice.publicKey] });
    const first = builder.create('server');
    const second = builder.create('server');
    const record = await keyAuth({ privateKey: alice.privateKey }).create('client').encodeMetadata(await first.encodeMetadata());
    await second.encodeMetadata();
    second.decodeMetadata(record);
    expect(await second.authenticate!()).toBe(CloseReason.SignatureInvalid);
    // The same record is good on the connection it was made for.
    first.decodeMetadata(record);
    expect(await first.authenticate!()).toBeUndefined();
  });

  it('refuses a signature that is not a valid encoding at all with 0xc1, not an exception', async () => {
    const server = keyAuth({ publicKeys: [alice.publicKey] }).create('server');
    const record = new Uint8Array(97).fill(0xff);
    record[0] = 0x01;
    record.set(sha256(alice.publicKey), 1);
    server.decodeMetadata(record);
    expect(await server.authenticate!()).toBe(CloseReason.SignatureInvalid);
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['too short', new Uint8Array(96).fill(1)],
    ['too long', new Uint8Array(98).fill(1)],
    ['another algorithm', Uint8Array.of(0x02, ...new Uint8Array(96))],
  ])('malformed client metadata (%s): decode throws with reason 0xc1, authenticate refuses 0xc1', async (_n, record) => {
    const server = keyAuth({ publicKeys: [alice.publicKey] }).create('server');
    await server.encodeMetadata();
    let err: unknown;
    try {
      server.decodeMetadata(record);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WispError);
    expect((err as WispError).code).toBe('InvalidExtensionMetadata');
    expect((err as WispError).reason).toBe(CloseReason.SignatureInvalid);
    expect(await server.authenticate!()).toBe(CloseReason.SignatureInvalid);
  });

  it('a malformed record after a good one does not leave the good one in force', async () => {
    const server = keyAuth({ publicKeys: [alice.publicKey] }).create('server');
    const record = await keyAuth({ privateKey: alice.privateKey }).create('client').encodeMetadata(await server.encodeMetadata());
    server.decodeMetadata(record);
    expect(() => server.decodeMetadata(new Uint8Array(3))).toThrow(WispError);
    expect(await server.authenticate!()).toBe(CloseReason.SignatureInvalid);
  });

  it('hashes the allowed keys once per builder, not per connection', async () => {
    const digest = jest.spyOn(globalThis.crypto.subtle, 'digest');
    try {
      const server = keyAuth({ publicKeys: [alice.publicKey, bob.publicKey] });
      const client = keyAuth({ privateKey: alice.privateKey });
      for (let i = 0; i < 3; i++) expect((await handshake(server, client)).verdict).toBeUndefined();
      const sha256Calls = digest.mock.calls.filter(([alg]) => alg === 'SHA-256').length;
      // Two allowed keys on the server plus the client's own key, each hashed once.
      expect(sha256Calls).toBe(3);
    } finally {
      digest.mockRestore();
    }
  });

  it('copies the allowed keys, so later mutation by the caller changes nothing', async () => {
    const key = new Uint8Array(alice.publicKey);
    const server = keyAuth({ publicKeys: [key] });
    key.fill(0);
    expect((await handshake(server, keyAuth({ privateKey: alice.privateKey }))).verdict).toBeUndefined();
  });
});

describe('keyAuth() configuration', () => {
  it.each([
    ['a short public key', () => keyAuth({ publicKeys: [new Uint8Array(31)] })],
    ['no public keys', () => keyAuth({ publicKeys: [] })],
    ['a long private key', () => keyAuth({ privateKey: new Uint8Array(64) })],
    ['neither shape', () => keyAuth({} as never)],
    ['a server builder asked for a client', () => keyAuth({ publicKeys: [new Uint8Array(32)] }).create('client')],
    ['a client builder asked for a server', () => keyAuth({ privateKey: new Uint8Array(32) }).create('server')],
  ])('rejects %s with InvalidArgument', async (_n, fn) => {
    expect((await thrownAsync(fn)).code).toBe('InvalidArgument');
  });
});

describe('key helpers', () => {
  it('generateKeyPair gives 32-byte keys that belong together and differ each time', async () => {
    expect(alice.privateKey.length).toBe(32);
    expect(alice.publicKey.length).toBe(32);
    expect(await publicKeyFromPrivate(alice.privateKey)).toEqual(alice.publicKey);
    expect(Buffer.from(alice.privateKey).equals(Buffer.from(bob.privateKey))).toBe(false);
  });

  it('publicKeyFromPrivate matches the RFC 8032 test vector', async () => {
    expect(Buffer.from(await publicKeyFromPrivate(fromHex(RFC_SECRET))).toString('hex')).toBe(RFC_PUBLIC);
    expect((await thrownAsync(() => publicKeyFromPrivate(new Uint8Array(31)))).code).toBe('InvalidArgument');
  });

  it.each([
    ['lower-case hex', RFC_PUBLIC],
    ['upper-case hex', RFC_PUBLIC.toUpperCase()],
    ['base64', Buffer.from(RFC_PUBLIC, 'hex').toString('base64')],
    ['base64 without padding', Buffer.from(RFC_PUBLIC, 'hex').toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.from(RFC_PUBLIC, 'hex').toString('base64url')],
    ['hex with a trailing newline', `  ${RFC_PUBLIC}\n`],
  ])('parsePublicKey reads %s', (_n, text) => {
    expect(Buffer.from(parsePublicKey(text)).toString('hex')).toBe(RFC_PUBLIC);
    expect(Buffer.from(parsePrivateKey(text)).toString('hex')).toBe(RFC_PUBLIC);
  });

  it.each([
    ['hex one byte short', RFC_PUBLIC.slice(2)],
    ['hex one byte long', `${RFC_PUBLIC}00`],
    ['base64 of 31 bytes', Buffer.alloc(31, 1).toString('base64')],
    ['base64 of 33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['base64 of 64 bytes', Buffer.alloc(64, 1).toString('base64')],
    ['garbage', 'not a key!'],
    ['bad base64 padding', `${Buffer.alloc(32, 1).toString('base64').slice(0, 42)}=`],
    ['empty', ''],
  ])('parse helpers reject %s with InvalidArgument', (_n, text) => {
    for (const parse of [parsePublicKey, parsePrivateKey]) {
      let err: unknown;
      try {
        parse(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WispError);
      expect((err as WispError).code).toBe('InvalidArgument');
    }
  });

  it('a parsed key pair authenticates', async () => {
    const privateKey = parsePrivateKey(Buffer.from(alice.privateKey).toString('base64'));
    const publicKey = parsePublicKey(Buffer.from(alice.publicKey).toString('hex'));
    expect((await handshake(keyAuth({ publicKeys: [publicKey] }), keyAuth({ privateKey }))).verdict).toBeUndefined();
  });
});
