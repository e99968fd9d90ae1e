#!/usr/bin/env node
// A Wisp v2 extension of our own: "latency probe" (id 0xF0). When both sides list it, the
// client may send PING packets (type 0xF0) on stream 0 carrying 8 opaque bytes, and the server
// answers each with a PONG (type 0xF1) carrying the same bytes, so the client can measure the
// round trip through the whole connection. The server's INFO metadata advertises the largest
// probe payload it echoes (u16 LE); the client's metadata is empty.
// Run: node build/examples/custom-extension.js   (starts a server and a client, prints round trips)
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import {
  ClientMux,
  ServerMux,
  WispError,
  wsTransport,
  type ExtensionBuilder,
  type ExtensionContext,
  type ProtocolExtension,
  type Role,
} from 'wisp-rx/node';

export const PROBE_ID = 0xf0;
const PING = 0xf0;
const PONG = 0xf1;

/** The client's side of the extension, as `mux.extension(PROBE_ID)` returns it. */
export interface LatencyProbe extends ProtocolExtension {
  /** Resolves to one round trip in milliseconds. */
  ping(): Promise<number>;
}

function packet(type: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(5 + payload.length); // type · stream id 0 · payload
  bytes[0] = type;
  bytes.set(payload, 5);
  return bytes;
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The extension builder: `latencyProbe()` on either side. */
export function latencyProbe({ maxPayload = 64 } = {}): ExtensionBuilder {
  return {
    id: PROBE_ID,
    create(role: Role): LatencyProbe {
      const waiting = new Map<string, { started: number; resolve: (ms: number) => void }>(); // client: probe key -> probe
      let context: ExtensionContext | undefined;
      let peerMax = 0;
      let counter = 0;
      return {
        id: PROBE_ID,
        name: 'latency-probe',
        packetTypes: role === 'server' ? [PING] : [PONG],
        encodeMetadata() {
          return role === 'server' ? new Uint8Array([maxPayload & 0xff, maxPayload >> 8]) : new Uint8Array(0);
        },
        decodeMetadata(metadata) {
          if (role !== 'client') return;
          if (metadata.length !== 2) throw new WispError('InvalidExtensionMetadata', 'latency-probe metadata must be 2 bytes');
          peerMax = metadata[0] | (metadata[1] << 8);
        },
        onReady(ctx) {
          context = ctx;
        },
        onPacket(received, ctx) {
          if (role === 'server') {
            if (received.payload.length <= maxPayload) ctx.send(packet(PONG, received.payload));
            return;
          }
          const key = hex(received.payload);
          const probe = waiting.get(key);
          if (probe) {
            waiting.delete(key);
            probe.resolve(performance.now() - probe.started);
          }
        },
        ping() {
          const ready = context;
          if (role !== 'client' || !ready) return Promise.reject(new WispError('Unsupported', 'latency probe not agreed'));
          if (peerMax < 8) return Promise.reject(new WispError('Unsupported', 'the server echoes no 8-byte probes'));
          const payload = new Uint8Array(8);
          new DataView(payload.buffer).setFloat64(0, ++counter);
          return new Promise<number>((resolve) => {
            waiting.set(hex(payload), { started: performance.now(), resolve });
            ready.send(packet(PING, payload));
          });
        },
      };
    },
  };
}

/** Starts a server with the extension, connects a client, measures `count` round trips. */
export async function demo({ count = 5 } = {}): Promise<{ extensionIds: readonly number[]; rounds: number[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (socket) => ServerMux.accept(wsTransport(socket), { extensions: [latencyProbe()] }));
  await new Promise((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as AddressInfo;
  const mux = await ClientMux.connect(`ws://127.0.0.1:${port}/`, { extensions: [latencyProbe()], requiredExtensions: [PROBE_ID] });
  try {
    const probe = mux.extension<LatencyProbe>(PROBE_ID)!;
    const rounds: number[] = [];
    for (let i = 0; i < count; i++) rounds.push(await probe.ping());
    return { extensionIds: mux.extensionIds, rounds };
  } finally {
    await mux.close();
    await new Promise((resolve) => wss.close(resolve));
  }
}

if (require.main === module) {
  void demo().then(({ rounds }) => console.log(`round trips (ms): ${rounds.map((r) => r.toFixed(3)).join(', ')}`));
}
