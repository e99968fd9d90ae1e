import { ExtensionId, isMotdExtension, motd, streamConfirmation, udp } from '../../lib/wisp/extensions/index';
import { WispError } from '../../lib/errors';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('ExtensionId', () => {
  it('has the wire id bytes', () => {
    expect(ExtensionId).toEqual({ Udp: 1, Password: 2, KeyAuth: 3, Motd: 4, StreamConfirmation: 5 });
  });
});

describe.each([
  ['udp', udp, ExtensionId.Udp],
  ['streamConfirmation', streamConfirmation, ExtensionId.StreamConfirmation],
] as const)('%s()', (_name, build, id) => {
  it.each(['client', 'server'] as const)('sends empty metadata as %s and accepts any', async (role) => {
    const builder = build();
    expect(builder.id).toBe(id);
    const ext = builder.create(role);
    expect(ext.id).toBe(id);
    expect(await ext.encodeMetadata(role === 'client' ? new Uint8Array(0) : undefined)).toEqual(new Uint8Array(0));
    expect(() => ext.decodeMetadata(new Uint8Array(0))).not.toThrow();
    expect(() => ext.decodeMetadata(bytes(1, 2, 3))).not.toThrow();
    expect(ext.requiredOfPeer).toBeFalsy();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- only checks that there is no such method
    expect(ext.authenticate).toBeUndefined();
  });
});

describe('motd()', () => {
  it('server sends the message as UTF-8', async () => {
    const ext = motd('héllo ✓').create('server');
    expect(ext.id).toBe(ExtensionId.Motd);
    expect(await ext.encodeMetadata()).toEqual(new TextEncoder().encode('héllo ✓'));
    expect(Array.from(await motd('hi').create('server').encodeMetadata())).toEqual([0x68, 0x69]);
    expect(ext.message).toBe('héllo ✓');
  });

  it('server may send an empty message', async () => {
    expect(await motd('').create('server').encodeMetadata()).toEqual(new Uint8Array(0));
  });

  it('server without a message is an InvalidArgument', () => {
    const err = (() => {
      try {
        motd().create('server');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(WispError);
    expect((err as WispError).code).toBe('InvalidArgument');
  });

  it('client sends empty metadata and exposes the received message', async () => {
    const ext = motd().create('client');
    expect(ext.message).toBeUndefined();
    expect(await ext.encodeMetadata(new TextEncoder().encode('welcome'))).toEqual(new Uint8Array(0));
    ext.decodeMetadata(new TextEncoder().encode('welcome ✓'));
    expect(ext.message).toBe('welcome ✓');
  });

  it('client keeps invalid UTF-8 as replacement characters instead of failing', () => {
    const ext = motd().create('client');
    expect(() => ext.decodeMetadata(bytes(0x68, 0xff, 0x69))).not.toThrow();
    expect(ext.message).toBe('h\ufffdi');
  });

  it('isMotdExtension narrows only the MOTD instance', () => {
    expect(isMotdExtension(motd().create('client'))).toBe(true);
    expect(isMotdExtension(motd('x').create('server'))).toBe(true);
    expect(isMotdExtension(udp().create('client'))).toBe(false);
    expect(isMotdExtension(undefined)).toBe(false);
  });
});
