/**
 * The reference client, @mercuryworkshop/wisp-js, against `wisp-rx serve` spawned as a user
 * runs it: v1 and v2, TCP echo byte-exact, MOTD shown to the v2 client.
 */
import { randomBytes } from 'node:crypto';
import { cleanAll, killAll, startServe, tcpServer } from './helpers';
import { runCleanups, sha256, silenceWispJs, wispJsOpen, wispJsRead } from '../interop/helpers';

afterEach(async () => {
  await runCleanups();
  await cleanAll();
  await killAll();
});

describe('wisp-js client against wisp-rx serve', () => {
  it.each([1, 2] as const)('works over Wisp v%i', async (version) => {
    silenceWispJs();
    const echoPort = await tcpServer((socket) => socket.pipe(socket));
    const { url } = await startServe(['--allow-loopback', '--motd', 'served by wisp-rx']);
    const conn = await wispJsOpen(url, { wisp_version: version });
    expect(conn.wisp_version).toBe(version);
    expect(conn.server_motd ?? null).toBe(version === 2 ? 'served by wisp-rx' : null);
    const stream = conn.create_stream('127.0.0.1', echoPort, 'tcp');
    const payload = randomBytes(256 * 1024);
    const echoed = wispJsRead(stream, payload.length);
    for (let at = 0; at < payload.length; at += 16 * 1024) stream.send(payload.subarray(at, at + 16 * 1024));
    expect(sha256(await echoed)).toBe(sha256(payload));
    stream.close(0x02);
    conn.close();
  });
});
