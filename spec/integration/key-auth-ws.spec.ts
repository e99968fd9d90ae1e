/**
 * Ed25519 key auth end to end over real ws through the gateway: an allowed key passes, an
 * unknown key and a tampered signature are refused with 0xc1, and a signature captured from
 * one connection does not open another (each connection gets a fresh challenge).
 */
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { createGateway, type Gateway } from '../../lib/server/gateway';
import { generateKeyPair, keyAuth } from '../../lib/wisp/extensions/index';
import type { ExtensionBuilder, ProtocolExtension } from '../../lib/wisp/extensions/extension';
import { CloseReason } from '../../lib/wisp/packet/close-reason';

const connector = (url: string, protocols: readonly string[]) => connectWs(url, protocols);
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** Wraps a client extension builder so its INFO metadata can be rewritten. */
function rewriting(inner: ExtensionBuilder, rewrite: (metadata: Uint8Array) => Uint8Array): ExtensionBuilder {
  return {
    id: inner.id,
    create(role) {
      const extension: ProtocolExtension = inner.create(role);
      return {
        ...extension,
        id: extension.id,
        name: extension.name,
        decodeMetadata: (m) => extension.decodeMetadata(m),
        encodeMetadata: async (peer) => rewrite(await extension.encodeMetadata(peer)),
      };
    },
  };
}

async function connect(url: string, extension: ExtensionBuilder): Promise<ClientMux> {
  const mux = await ClientMux.connect(url, { connector, extensions: [extension] });
  cleanup.push(() => mux.close());
  return mux;
}

describe('key auth over ws', () => {
  let gateway: Gateway;
  let privateKey: Uint8Array;

  beforeEach(async () => {
    const keys = await generateKeyPair();
    privateKey = keys.privateKey;
    gateway = await createGateway({ port: 0, publicKeys: [keys.publicKey] });
    cleanup.push(() => gateway.close({ graceMs: 1000 }));
  });

  it('lets the allowed key in', async () => {
    const mux = await connect(gateway.url, keyAuth({ privateKey }));
    expect(mux.extensionIds).toContain(0x03);
  });

  it('refuses an unknown key with 0xc1', async () => {
    const stranger = await generateKeyPair();
    await expect(connect(gateway.url, keyAuth({ privateKey: stranger.privateKey }))).rejects.toMatchObject({
      code: 'CertAuthExtensionSigInvalid',
      reason: CloseReason.SignatureInvalid,
    });
  });

  it('refuses a tampered signature with 0xc1', async () => {
    const tampered = rewriting(keyAuth({ privateKey }), (metadata) => {
      const copy = metadata.slice();
      copy[copy.length - 1] ^= 0x01; // last byte of the signature
      return copy;
    });
    await expect(connect(gateway.url, tampered)).rejects.toMatchObject({ code: 'CertAuthExtensionSigInvalid' });
  });

  it('refuses a signature replayed from another connection', async () => {
    let captured: Uint8Array | undefined;
    const recording = rewriting(keyAuth({ privateKey }), (metadata) => (captured = metadata));
    await connect(gateway.url, recording);
    expect(captured).toBeDefined();
    // A second connection answers its own challenge with the first connection's signature.
    const replay = rewriting(keyAuth({ privateKey }), () => captured!);
    await expect(connect(gateway.url, replay)).rejects.toMatchObject({ code: 'CertAuthExtensionSigInvalid' });
  });
});
