/**
 * The yamux codec against real Go (Debian's hashicorp/yamux, through interop/go's
 * yamux-peer): it parses what Go sends, and Go accepts what it encodes. Raw TCP on
 * 127.0.0.1, no session.
 */
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { YamuxFlag, encodeData, parseHeader, typeName, yamuxLayout } from '../../lib/yamux/frame';
import { WispError } from '../../lib/errors';
import { FrameSplitter } from '../../lib/transport/frame-splitter';
import { buildGoPeers, goPattern, startGoClient, startGoServer, streamEvents, type GoPeer } from '../support/go';

const started: GoPeer[] = [];
const sockets: net.Socket[] = [];
const servers: net.Server[] = [];

beforeAll(() => buildGoPeers(), 180_000);
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
  await Promise.all(started.splice(0).map((peer) => peer.kill()));
});

interface Seen {
  readonly frame: string;
  readonly body: Uint8Array;
}

const flagNames = (flags: number): string =>
  Object.entries(YamuxFlag)
    .filter(([, bit]) => flags & bit)
    .map(([name]) => name.toUpperCase())
    .join('|') || '-';

/** Every frame that arrives on `socket` until the peer ends it, parsed as version 0; `onFrame` sees each as it comes. */
function framesUntilEnd(socket: net.Socket, onFrame: (frame: string) => void = () => undefined): Promise<Seen[]> {
  return new Promise((resolve, reject) => {
    const seen: Seen[] = [];
    const splitter = new FrameSplitter(yamuxLayout(256 * 1024), (header, body) => {
      const h = parseHeader(header, 0, 0);
      if (h instanceof WispError) return reject(h);
      const frame = `${typeName(h.type)} ${flagNames(h.flags)} ${h.streamId} ${h.length}`;
      seen.push({ frame, body: Uint8Array.from(body) });
      onFrame(frame);
    });
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.once('end', () => resolve(seen));
    socket.once('error', reject);
  });
}

describe('yamux codec against Go (version 0)', () => {
  it('parses a Go client’s open, data and close: flags ride on WindowUpdate', async () => {
    const server = net.createServer();
    servers.push(server);
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = await startGoClient('yamux', `127.0.0.1:${port}`, ['-role', 'source', '-open', '1', '-bytes', '5']);
    started.push(client);
    const socket = await accepted;
    sockets.push(socket);
    const frames = await framesUntilEnd(socket);
    socket.end();
    expect(frames.map((f) => f.frame)).toEqual(['WindowUpdate SYN 1 0', 'Data - 1 5', 'WindowUpdate FIN 1 0']);
    expect(frames[1].body).toEqual(goPattern(1, 5));
    expect((await client.exited).code).toBe(0);
  });

  it('frames it encodes (SYN and FIN on Data, net-mux style) reach a Go sink whole', async () => {
    const server = await startGoServer('yamux', ['-role', 'sink', '-expect', '1', '-end', 'self']);
    started.push(server);
    const socket = net.connect(server.port, '127.0.0.1');
    sockets.push(socket);
    const payload = new TextEncoder().encode('hello wisp');
    socket.write(encodeData(0, YamuxFlag.Syn, 1, payload));
    // FIN only after the ACK: Go sends its ACK from AcceptStream only while the stream is
    // still "SYN received", so a FIN that gets there before the accept means no ACK at all.
    const frames = await framesUntilEnd(socket, (frame) => {
      if (frame === 'WindowUpdate ACK 1 0') socket.write(encodeData(0, YamuxFlag.Fin, 1));
    });
    socket.end();
    const sha = createHash('sha256').update(payload).digest('hex');
    expect(streamEvents((await server.exited).events)).toEqual([expect.objectContaining({ id: 1, ok: true, received: 10, sha256_received: sha })]);
    // The ACK when the application accepts (delta 0: the 10 bytes already count against the
    // window, and 10 is under half a window), then its FIN, both on WindowUpdate.
    expect(frames.map((f) => f.frame)).toEqual(['WindowUpdate ACK 1 0', 'WindowUpdate FIN 1 0']);
  });
});
