/**
 * The gateway on an HTTP server the application already has (as with wisp-js's
 * routeRequest): Wisp upgrades under the prefix go to the gateway; the application's own
 * requests and its other WebSocket endpoint keep working; closing the gateway leaves the
 * server running.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { createGateway } from '../../lib/server/gateway';

describe('gateway on an existing HTTP server', () => {
  const server = http.createServer((_req, res) => res.end('the application'));
  const chat = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/chat') chat.handleUpgrade(req, socket, head, (ws) => ws.send('hello from chat'));
  });
  let base = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    chat.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves Wisp under its prefix and leaves everything else to the application', async () => {
    const gateway = await createGateway({ server, prefix: '/wisp/' });
    const mux = await ClientMux.connect(`ws://${base}/wisp/`, { connector: (u, p) => connectWs(u, p) });
    expect(mux.version.major).toBe(2);

    expect(await (await fetch(`http://${base}/`)).text()).toBe('the application');
    const other = new WebSocket(`ws://${base}/chat`);
    const greeting = await new Promise<string>((resolve, reject) => {
      other.once('message', (data) => resolve((data as Buffer).toString())); // binaryType 'nodebuffer': a Buffer
      other.once('error', reject);
    });
    expect(greeting).toBe('hello from chat');
    other.close();

    await mux.close();
    await gateway.close({ graceMs: 1000 });
    expect(server.listening).toBe(true);
    expect(await (await fetch(`http://${base}/`)).text()).toBe('the application');
  });
});
