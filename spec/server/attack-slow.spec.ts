/**
 * Slow and sloppy clients: half-open HTTP requests, connections that open no stream, and a
 * malformed INFO. Waits are on events with deadlines.
 */
import * as net from 'node:net';
import { once } from 'node:events';
import { firstValueFrom } from 'rxjs';
import { WebSocket } from 'ws';
import { createGateway, type Gateway } from '../../lib/server/gateway';
import type { GatewayOptions } from '../../lib/server/gateway-options';
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { echoTarget, LogLines } from './attack-helpers';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

async function gateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gw = await createGateway({ port: 0, policy: { allowLoopback: true }, ...options });
  open.push({ close: () => gw.close({ graceMs: 0 }) });
  return gw;
}

/** A raw TCP request that sends part of its headers and never finishes; resolves with what came back once closed. */
async function halfOpenRequest(gw: Gateway): Promise<string> {
  const { port } = gw.server.address() as net.AddressInfo;
  const socket = net.connect(port, '127.0.0.1');
  open.push({ close: () => socket.destroy() });
  await once(socket, 'connect');
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  await Promise.race([once(socket, 'close'), new Promise((_, reject) => setTimeout(() => reject(new Error('still open after 10 s')), 10_000).unref())]);
  return answer;
}

/** A raw v1 or v2 client that records the packets it is sent. */
async function raw(url: string, protocols: string[] = []): Promise<{ socket: WebSocket; packets: Buffer[]; closed: Promise<number> }> {
  const socket = new WebSocket(url, protocols, { perMessageDeflate: false });
  const packets: Buffer[] = [];
  socket.on('message', (d: Buffer) => packets.push(d));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  open.push({ close: () => socket.terminate() });
  await once(socket, 'open');
  return { socket, packets, closed };
}

describe('gateway against slow and sloppy clients', () => {
  it('the server it owns has 60 s header and request timeouts by default', async () => {
    const gw = await gateway();
    expect(gw.server.headersTimeout).toBe(60_000);
    expect(gw.server.requestTimeout).toBe(60_000);
  });

  it('a half-open HTTP request is answered 408 and closed after httpHeadersTimeoutMs; upgraded WebSockets are not cut', async () => {
    const echo = await echoTarget();
    open.push(echo);
    const gw = await gateway({ httpHeadersTimeoutMs: 200, httpRequestTimeoutMs: 200 });
    const mux = await ClientMux.connect(gw.url, { connector: (u, p) => connectWs(u, p) });
    open.push(mux);
    expect(await halfOpenRequest(gw)).toMatch(/^HTTP\/1\.1 408/);
    // The WebSocket was open longer than both timeouts: it still carries streams.
    const stream = await mux.open('tcp', '127.0.0.1', echo.port, { awaitConfirmation: true });
    const back = firstValueFrom(stream.data$);
    await stream.write(Buffer.from('still here'));
    expect(Buffer.from(await back).toString()).toBe('still here');
  });

  it('a v1 connection that opens no stream is closed with CLOSE(0, Voluntary); one holding a stream is not', async () => {
    const echo = await echoTarget();
    open.push(echo);
    const log = new LogLines();
    const gw = await gateway({ connectionIdleTimeoutMs: 300, logger: log });
    // The busy client opened its stream before the idle one connected, so it has held it for
    // longer than the timeout by the time the idle one is cut.
    const busy = await ClientMux.connect(gw.url, { connector: (u, p) => connectWs(u, p) });
    open.push(busy);
    const stream = await busy.open('tcp', '127.0.0.1', echo.port, { awaitConfirmation: true });
    const idle = await raw(gw.url);
    expect(await idle.closed).toBe(1000);
    expect(idle.packets.map((p) => [...p])).toEqual([
      [0x03, 0, 0, 0, 0, 128, 0, 0, 0], // CONTINUE(0, 128): the v1 handshake
      [0x04, 0, 0, 0, 0, CloseReason.Voluntary],
    ]);
    await log.waitFor(/idle: no stream for 300 ms/);
    const back = firstValueFrom(stream.data$);
    await stream.write(Buffer.from('busy'));
    expect(Buffer.from(await back).toString()).toBe('busy');
    // Once its last stream closes, the busy connection is idle too.
    const closed = firstValueFrom(busy.closed$);
    stream.close();
    expect(await closed).toEqual({ reason: CloseReason.Voluntary });
  });

  it('a v2 connection that opens no stream is closed too', async () => {
    const gw = await gateway({ connectionIdleTimeoutMs: 200 });
    const mux = await ClientMux.connect(gw.url, { connector: (u, p) => connectWs(u, p) });
    open.push(mux);
    expect(await firstValueFrom(mux.closed$)).toEqual({ reason: CloseReason.Voluntary });
  });

  it('a malformed INFO gets CLOSE(0, InvalidInfo) before the WebSocket closes (1002)', async () => {
    const log = new LogLines();
    const gw = await gateway({ logger: log });
    const client = await raw(gw.url, ['wisp-v2']);
    if (client.packets.length === 0) await once(client.socket, 'message'); // the server's INFO
    // INFO 2.0 whose one extension record claims 100 bytes of metadata and has 1.
    client.socket.send(Buffer.from([0x05, 0, 0, 0, 0, 2, 0, 0x01, 100, 0, 0, 0, 0xaa]));
    expect(await client.closed).toBe(1002);
    expect([...client.packets.at(-1)!]).toEqual([0x04, 0, 0, 0, 0, CloseReason.InvalidInfo]);
    await log.waitFor(/handshake failed: HandshakeFailed/);
  });
});
