import { WebSocket as WsWebSocket } from 'ws';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import { defaultConnector, setDefaultConnector } from '../../lib/transport/default-connector';
import { wsTransport } from '../../lib/transport/ws';
import { startLoopback, type Loopback } from './loopback';

// Node 20 has no global WebSocket; `ws`'s class implements the standard surface, so it stands
// in for a browser's here (the Chromium suite covers the real one).
const global = globalThis as { WebSocket?: unknown };
const had = Object.prototype.hasOwnProperty.call(global, 'WebSocket');
const original = global.WebSocket;

let loopback: Loopback | undefined;

afterEach(async () => {
  if (had) global.WebSocket = original;
  else delete global.WebSocket;
  setDefaultConnector(undefined);
  await loopback?.close();
  loopback = undefined;
});

describe('defaultConnector (what ClientMux.connect(url) uses without a connector)', () => {
  it('uses the platform WebSocket when nothing is registered, as a browser has it', async () => {
    setDefaultConnector(undefined);
    global.WebSocket = WsWebSocket;
    loopback = await startLoopback();
    const accepted = loopback.nextConnection().then((socket) => ServerMux.accept(wsTransport(socket)));
    const client = await ClientMux.connect(loopback.url, { v2: false });
    const server = await accepted;
    expect(client.version).toEqual({ major: 1, minor: 0 });
    await client.close();
    await server.close();
  });

  it('looks the constructor up when connecting, so one installed after import counts', async () => {
    setDefaultConnector(undefined);
    delete global.WebSocket;
    const connector = defaultConnector();
    global.WebSocket = WsWebSocket;
    loopback = await startLoopback();
    const connecting = connector(loopback.url, []);
    const socket = await loopback.nextConnection();
    const transport = await connecting;
    expect(transport.protocol).toBe('');
    transport.close(1000, 'done');
    socket.close();
  });

  it('rejects with Unsupported on a platform without WebSocket', async () => {
    setDefaultConnector(undefined);
    global.WebSocket = undefined;
    await expect(defaultConnector()('ws://127.0.0.1:1/', [])).rejects.toMatchObject({ name: 'WispError', code: 'Unsupported' });
  });

  it('prefers a registered connector', async () => {
    const calls: string[] = [];
    setDefaultConnector((url) => (calls.push(url), Promise.reject(new Error('registered'))));
    await expect(defaultConnector()('ws://127.0.0.1:1/', [])).rejects.toThrow('registered');
    expect(calls).toEqual(['ws://127.0.0.1:1/']);
  });
});
