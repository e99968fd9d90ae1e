/**
 * Page script: @mercuryworkshop/wisp-js 0.5.0's browser client (`dist/wisp-client.mjs`, as
 * shipped) in Chromium, talking to wisp-rx serve. Typed loosely: the module is fetched at run
 * time, not bundled.
 */
import { concat, install, randomBytes, sha256Hex, within } from './common';

interface WispJsStream {
  onmessage: (data: Uint8Array) => void;
  onclose: (reason: number) => void;
  send(data: Uint8Array): void;
  close(reason?: number): void;
}
interface WispJsConnection {
  onopen: () => void;
  onclose: () => void;
  onerror: () => void;
  wisp_version: number;
  server_motd: string | null | undefined;
  udp_enabled: boolean;
  create_stream(host: string, port: number, type?: 'tcp' | 'udp'): WispJsStream;
  close(): void;
}
interface WispJsModule {
  client: { ClientConnection: new (url: string, options?: { wisp_version?: number }) => WispJsConnection };
}

async function connect(url: string, version: number): Promise<WispJsConnection> {
  const path = '/vendor/wisp-client.mjs';
  const module = (await import(/* not bundled */ path)) as WispJsModule;
  const connection = new module.client.ClientConnection(url, { wisp_version: version });
  await within(
    new Promise<void>((resolve, reject) => {
      connection.onopen = resolve;
      connection.onclose = () => reject(new Error('wisp-js: closed before open'));
      connection.onerror = () => reject(new Error('wisp-js: connection error'));
    }),
    10_000,
    'wisp-js open',
  );
  return connection;
}

async function hello(url: string, version: number) {
  const connection = await connect(url, version);
  const result = { version: connection.wisp_version, motd: connection.server_motd ?? null, udp: connection.udp_enabled };
  connection.close();
  return result;
}

async function tcpEcho(url: string, port: number, size: number, version: number) {
  const connection = await connect(url, version);
  const stream = connection.create_stream('127.0.0.1', port, 'tcp');
  const chunks: Uint8Array[] = [];
  let total = 0;
  const echoed = new Promise<void>((resolve, reject) => {
    stream.onmessage = (data) => (chunks.push(data.slice()), (total += data.byteLength) >= size && resolve());
    stream.onclose = (reason) => reject(new Error(`stream closed early (${reason})`));
  });
  const sent = randomBytes(size);
  // wisp-js has no backpressure towards its caller: the total is bounded instead.
  for (let at = 0; at < size; at += 16 * 1024) stream.send(sent.subarray(at, at + 16 * 1024));
  await within(echoed, 20_000, 'TCP echo');
  stream.close(2);
  connection.close();
  const received = concat(chunks);
  return { sent: await sha256Hex(sent), received: await sha256Hex(received), length: received.byteLength };
}

async function udpEcho(url: string, port: number, sizes: number[], version: number) {
  const connection = await connect(url, version);
  const stream = connection.create_stream('127.0.0.1', port, 'udp');
  const results: { size: number; same: boolean }[] = [];
  for (const size of sizes) {
    const sent = randomBytes(size);
    const reply = new Promise<Uint8Array>((resolve) => (stream.onmessage = (data) => resolve(data.slice())));
    stream.send(sent);
    const got = await within(reply, 5_000, `UDP datagram of ${size}`);
    results.push({ size: got.byteLength, same: (await sha256Hex(got)) === (await sha256Hex(sent)) });
  }
  stream.close(2);
  connection.close();
  return results;
}

install({ hello, tcpEcho, udpEcho });
