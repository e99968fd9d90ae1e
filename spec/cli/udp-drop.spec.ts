/**
 * Regression (found by the Chromium suite): a client whose connection drops while a UDP
 * stream is open made the UDP relay's data$ subscription error with no handler, and RxJS
 * rethrew it as an uncaught exception — `wisp-rx serve` exited 1. The gateway must log the
 * closed connection and keep serving.
 */
import { WebSocket } from 'ws';
import { encodeConnect, encodeData } from '../../lib/packet/encode';
import { cleanAll, startServe, udpEcho } from './helpers';

afterEach(cleanAll);

/** A raw v1 client: CONNECT a UDP stream, send one datagram, resolve with the socket once it is echoed. */
async function udpClient(url: string, port: number): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP echo within 5 s')), 5000);
    let continued = false;
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      if (!continued) {
        continued = true; // the v1 handshake's CONTINUE
        ws.send(encodeConnect(1, 0x02, port, '127.0.0.1'));
        ws.send(encodeData(1, new Uint8Array([1, 2, 3])));
      } else if (data[0] === 0x02) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return ws;
}

it('a dropped connection with a UDP stream open does not end the gateway', async () => {
  const { cli, url } = await startServe(['--allow-loopback', '--log-level', 'info']);
  const port = await udpEcho();
  (await udpClient(url, port)).terminate();
  await cli.waitFor(/conn 1 .*closed/);
  // A second client proves the process survived the first one's end.
  const again = await udpClient(url, port);
  again.close();
  expect(cli.child.exitCode).toBeNull();
  expect(cli.stderr).not.toMatch(/Uncaught|throw err/);
});
