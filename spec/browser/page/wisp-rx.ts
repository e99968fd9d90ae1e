/**
 * Page script: wisp-rx's universal entry (lib/index.ts) in Chromium. Each function is one
 * scenario, called from Node through `run(page, name, ...args)`; results are plain data.
 */
import {
  ClientMux,
  connectWebSocket,
  connectWebSocketStream,
  keyAuth,
  motd,
  password,
  udp,
  type ClientMuxOptions,
  type MuxStream,
  type TransportConnector,
} from '../../../lib/index';
import { concat, describeError, hexToBytes, install, randomBytes, sha256Hex, within } from './common';

/** Which constructor the connector really used: counted by wrapping the globals. */
const used = { WebSocketStream: 0, WebSocket: 0 };
for (const name of ['WebSocketStream', 'WebSocket'] as const) {
  const Original = (globalThis as Record<string, unknown>)[name] as (new (...args: unknown[]) => object) | undefined;
  if (typeof Original !== 'function') continue;
  (globalThis as Record<string, unknown>)[name] = class extends Original {
    constructor(...args: unknown[]) {
      super(...args);
      used[name]++;
    }
  };
}

/** `default`: no connector at all (what users write); the others force one transport. */
type TransportChoice = 'default' | 'websocket' | 'websocketstream';

function connector(choice: TransportChoice): TransportConnector | undefined {
  if (choice === 'websocket') return (url, protocols) => connectWebSocket(url, protocols);
  if (choice === 'websocketstream') return (url, protocols) => connectWebSocketStream(url, protocols);
  return undefined;
}

function connect(url: string, choice: TransportChoice, options: ClientMuxOptions = {}): Promise<ClientMux> {
  const forced = connector(choice);
  return within(ClientMux.connect(url, forced ? { ...options, connector: forced } : options), 10_000, `connect ${url}`);
}

/** Reads `stream` until `length` bytes arrived (or it ends). */
function collect(stream: MuxStream, length: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const subscription = stream.data$.subscribe({
      next: (chunk) => {
        chunks.push(chunk.slice());
        total += chunk.byteLength;
        if (total >= length) {
          subscription.unsubscribe();
          resolve(concat(chunks));
        }
      },
      error: reject,
      complete: () => resolve(concat(chunks)),
    });
  });
}

async function hello(url: string, choice: TransportChoice = 'default', v2 = true) {
  const mux = await connect(url, choice, { v2 });
  const result = {
    version: mux.version,
    downgraded: mux.downgraded,
    extensionIds: mux.extensionIds,
    motd: mux.motd ?? null,
    protocol: mux.transport.protocol,
    hasWebSocketStream: typeof (globalThis as { WebSocketStream?: unknown }).WebSocketStream === 'function',
    used: { ...used },
  };
  await mux.close();
  return result;
}

async function tcpEcho(url: string, port: number, size: number, choice: TransportChoice = 'default') {
  const mux = await connect(url, choice);
  const stream = await mux.open('tcp', '127.0.0.1', port);
  const sent = randomBytes(size);
  const echoed = collect(stream, size);
  for (let at = 0; at < size; at += 64 * 1024) await stream.write(sent.subarray(at, at + 64 * 1024));
  const received = await within(echoed, 20_000, 'TCP echo');
  stream.close();
  await mux.close();
  return { sent: await sha256Hex(sent), received: await sha256Hex(received), length: received.byteLength, used: { ...used } };
}

async function udpEcho(url: string, port: number, sizes: number[], choice: TransportChoice = 'default') {
  const mux = await connect(url, choice);
  const stream = await mux.open('udp', '127.0.0.1', port);
  const results: { size: number; same: boolean }[] = [];
  // One reader for every round: a stream whose last reader leaves is torn down.
  const datagrams = stream[Symbol.asyncIterator]();
  for (const size of sizes) {
    // One datagram out, one back: loopback UDP does not lose them, and the deadline bounds it.
    const sent = randomBytes(size);
    const reply = datagrams.next().then((r: IteratorResult<Uint8Array, unknown>) => (r.value as Uint8Array).slice());
    await stream.write(sent);
    const got = await within(reply, 5_000, `UDP datagram of ${size}`);
    results.push({ size: got.byteLength, same: (await sha256Hex(got)) === (await sha256Hex(sent)) });
  }
  stream.close();
  await mux.close();
  return results;
}

async function authenticate(url: string, extension: ReturnType<typeof password>) {
  try {
    const mux = await connect(url, 'default', { extensions: [udp(), motd(), extension] });
    const extensionIds = mux.extensionIds;
    await mux.close();
    return { ok: true, extensionIds };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

const passwordAuth = (url: string, username: string, secret: string) => authenticate(url, password({ username, password: secret }));
const keyAuthWith = (url: string, privateKeyHex: string) => authenticate(url, keyAuth({ privateKey: hexToBytes(privateKeyHex) }));

/** The slow reader: one download stream, paused after its first chunk. */
let slow: { mux: ClientMux; stream: MuxStream; received: number; ended: Promise<void> } | undefined;

async function slowStart(url: string, port: number, choice: TransportChoice) {
  const mux = await connect(url, choice);
  const stream = await mux.open('tcp', '127.0.0.1', port);
  let first!: () => void;
  const gotFirst = new Promise<void>((resolve) => (first = resolve));
  const state = { mux, stream, received: 0, ended: Promise.resolve() };
  state.ended = new Promise<void>((resolve, reject) =>
    stream.data$.subscribe({
      next: (chunk) => {
        if (state.received === 0) {
          stream.pause();
          first();
        }
        state.received += chunk.byteLength;
      },
      error: reject,
      complete: resolve,
    }),
  );
  state.ended.catch(() => undefined);
  slow = state;
  await within(gotFirst, 10_000, 'the first chunk');
  return { used: { ...used } };
}

function heap(): number | null {
  return (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;
}

function slowStatus() {
  return { received: slow!.received, heap: heap(), debug: slow!.mux.debugState() as unknown as Record<string, unknown> };
}

async function slowFinish() {
  slow!.stream.resume();
  await within(slow!.ended, 30_000, 'the download to end');
  const received = slow!.received;
  await slow!.mux.close();
  return { received };
}

/** Opens a TCP stream that keeps echoing and a UDP stream, and leaves them open. */
async function openAndAbandon(url: string, tcpPort: number, udpPort: number) {
  const mux = await connect(url, 'default');
  const tcp = await mux.open('tcp', '127.0.0.1', tcpPort);
  const datagrams = await mux.open('udp', '127.0.0.1', udpPort);
  const chunk = randomBytes(64 * 1024);
  let echoed = 0;
  const flowing = new Promise<void>((resolve, reject) => tcp.data$.subscribe({ next: (d) => ((echoed += d.byteLength) > 256 * 1024 && resolve()), error: reject }));
  const udpReply = new Promise<void>((resolve, reject) => datagrams.data$.subscribe({ next: () => resolve(), error: reject }));
  void (async () => {
    for (;;) await tcp.write(chunk); // runs until the page goes
  })().catch(() => undefined);
  await datagrams.write(randomBytes(512));
  await within(Promise.all([flowing, udpReply]), 10_000, 'both streams flowing');
  return { echoed };
}

install({ hello, tcpEcho, udpEcho, passwordAuth, keyAuth: keyAuthWith, slowStart, slowStatus, slowFinish, openAndAbandon });
