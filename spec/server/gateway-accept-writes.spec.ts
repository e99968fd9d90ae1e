/**
 * What an accept costs in socket writes: the 101 response and the server's first packet
 * (v2 INFO, v1 CONTINUE) leave in one write to the socket, not two (each send on loopback
 * costs as much CPU as the rest of an accept). The test watches the upgraded socket's own
 * writes from an `upgrade` listener that runs before the gateway's.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { createGateway, type Gateway } from '../../lib/server/gateway';

/** The chunks of each write the socket makes (one entry per `_write` or `_writev`). */
function recordWrites(socket: Duplex): Uint8Array[][] {
  type Done = (error?: Error | null) => void;
  type Chunk = Uint8Array | string; // the 101 response is written as a string
  const copy = (chunk: Chunk): Uint8Array => (typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Uint8Array.from(chunk));
  const writes: Uint8Array[][] = [];
  const target = socket as unknown as {
    _write(chunk: Chunk, encoding: BufferEncoding, cb: Done): void;
    _writev(chunks: { chunk: Chunk }[], cb: Done): void;
  };
  const write = target._write.bind(target);
  const writev = target._writev.bind(target);
  target._write = (chunk: Chunk, encoding: BufferEncoding, cb: Done) => {
    writes.push([copy(chunk)]);
    write(chunk, encoding, cb);
  };
  target._writev = (chunks: { chunk: Chunk }[], cb: Done) => {
    writes.push(chunks.map(({ chunk }) => copy(chunk)));
    writev(chunks, cb);
  };
  return writes;
}

describe('gateway accept: socket writes', () => {
  const server = http.createServer();
  let sockets: Uint8Array[][][] = [];
  server.on('upgrade', (_req, socket: Duplex) => sockets.push(recordWrites(socket)));
  let gateway: Gateway;
  let url = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gateway = await createGateway({ server, prefix: '/' });
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await gateway.close({ graceMs: 100 });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => (sockets = []));

  it.each([
    ['v2', true, 0x05], // INFO
    ['v1', false, 0x03], // CONTINUE
  ])('%s: the 101 response and the first packet are one write', async (_name, v2, firstType) => {
    const mux = await ClientMux.connect(url, { v2, connector: (u, p) => connectWs(u, p) });
    expect(sockets).toHaveLength(1);
    const [first] = sockets[0];
    const bytes = Buffer.concat(first);
    const headerEnd = bytes.indexOf('\r\n\r\n');
    expect(bytes.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
    // After the response: an unmasked binary frame (0x82) with a short length, then the packet.
    const frame = bytes.subarray(headerEnd + 4);
    expect(frame[0]).toBe(0x82);
    expect(frame.length).toBe(2 + frame[1]);
    expect(frame[2]).toBe(firstType);
    await mux.close();
  });
});
