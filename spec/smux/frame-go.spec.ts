/**
 * The smux codec against real Go (Debian's xtaci/smux 1.5.16, through interop/go's
 * smux-peer): it parses what Go sends, and Go accepts what it encodes. Raw TCP on 127.0.0.1,
 * no session: these pin the byte format and the first frames of a stream's life.
 */
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { SmuxCmd, cmdName, decodeUpdate, encodeFrame, parseHeader, smuxLayout, type SmuxVersion } from '../../lib/smux/frame';
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

/** Every frame that arrives on `socket` until the peer ends it, parsed for `version`. */
function framesUntilEnd(socket: net.Socket, version: SmuxVersion): Promise<Seen[]> {
  return new Promise((resolve, reject) => {
    const seen: Seen[] = [];
    const splitter = new FrameSplitter(smuxLayout(), (header, body) => {
      const h = parseHeader(header, 0, version);
      if (h instanceof WispError) return reject(h);
      seen.push({ frame: `${cmdName(h.cmd)} ${h.streamId} ${h.length}`, body: Uint8Array.from(body) });
    });
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.once('end', () => resolve(seen));
    socket.once('error', reject);
  });
}

describe.each([1, 2] as const)('smux v%i codec against Go', (version) => {
  it('parses a Go client’s SYN, PSH and FIN (first id 3)', async () => {
    const server = net.createServer();
    servers.push(server);
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = await startGoClient('smux', `127.0.0.1:${port}`, ['-version', String(version), '-role', 'source', '-open', '1', '-bytes', '5']);
    started.push(client);
    const socket = await accepted;
    sockets.push(socket);
    const frames = await framesUntilEnd(socket, version);
    socket.end();
    expect(frames.map((f) => f.frame)).toEqual(['SYN 3 0', 'PSH 3 5', 'FIN 3 0']);
    expect(frames[1].body).toEqual(goPattern(3, 5));
    expect((await client.exited).code).toBe(0);
  });

  it('frames it encodes reach a Go sink whole; Go answers with its frames', async () => {
    const server = await startGoServer('smux', ['-version', String(version), '-role', 'sink', '-expect', '1', '-end', 'self']);
    started.push(server);
    const socket = net.connect(server.port, '127.0.0.1');
    sockets.push(socket);
    const payload = new TextEncoder().encode('hello wisp');
    socket.write(encodeFrame(version, SmuxCmd.Syn, 5));
    socket.write(encodeFrame(version, SmuxCmd.Psh, 5, payload));
    socket.write(encodeFrame(version, SmuxCmd.Fin, 5));
    const frames = await framesUntilEnd(socket, version);
    socket.end();
    const sha = createHash('sha256').update(payload).digest('hex');
    expect(streamEvents((await server.exited).events)).toEqual([expect.objectContaining({ id: 5, ok: true, received: 10, sha256_received: sha })]);
    if (version === 1) {
      expect(frames.map((f) => f.frame)).toEqual(['FIN 5 0']);
    } else {
      // v2: an UPD on the first read (absolute consumed count, the constant window), then FIN.
      expect(frames.map((f) => f.frame)).toEqual(['UPD 5 8', 'FIN 5 0']);
      expect(decodeUpdate(frames[0].body)).toEqual({ consumed: 10, window: 65536 });
    }
  });
});
