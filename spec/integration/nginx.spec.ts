/**
 * Two gateways behind Debian's nginx as the load balancer, TLS terminated at nginx, and
 * `X-Forwarded-For` believed only from nginx (which connects from 127.0.0.2, while the client
 * comes from 127.0.0.3 and tries to spoof its address). Everything on loopback.
 */
import * as fs from 'node:fs';
import { firstValueFrom } from 'rxjs';
import { WebSocket } from 'ws';
import { ClientMux } from '../../lib/wisp/client-mux';
import { wsTransport } from '../../lib/transport/ws';
import { cleanAll, cleanup, startServe, tcpServer, type Cli } from '../cli/helpers';
import { within } from '../mux/helpers';
import { selfSignedCertificate } from '../support/certificates';
import { startNginx } from '../support/nginx';

const CLIENT = '127.0.0.3';
const NGINX_HOP = '127.0.0.2';
const SPOOFED = '203.0.113.66';

afterEach(cleanAll);

async function client(url: string, ca?: Buffer): Promise<ClientMux> {
  const mux = await ClientMux.connect(url, {
    connector: (u, protocols) =>
      Promise.resolve(wsTransport(new WebSocket(u, [...protocols], { perMessageDeflate: false, localAddress: CLIENT, headers: { 'X-Forwarded-For': SPOOFED }, ...(ca ? { ca } : {}) }))),
  });
  cleanup.push(() => mux.close());
  return mux;
}

async function echoOnce(mux: ClientMux, port: number): Promise<string> {
  const stream = await mux.open('tcp', '127.0.0.1', port, { awaitConfirmation: true });
  const back = firstValueFrom(stream.data$);
  await stream.write(new TextEncoder().encode('through nginx'));
  const text = new TextDecoder().decode(await within(back, 5000, 'the echo'));
  stream.close();
  return text;
}

const openLines = (cli: Cli): string[] => cli.stderr.split('\n').filter((line) => / open \(v[12]\)/.test(line));

it('balances connections over two gateways, with TLS at nginx and the client address taken only from nginx', async () => {
  const certificate = selfSignedCertificate();
  cleanup.push(() => fs.rmSync(certificate.dir, { recursive: true, force: true }));
  const echo = await tcpServer((socket) => socket.pipe(socket));
  const gateways = await Promise.all([1, 2].map(() => startServe(['--allow-loopback', '--trusted-proxy', NGINX_HOP, '--log-level', 'info'])));
  const ports = gateways.map((g) => Number(new URL(g.url).port));
  const nginx = await startNginx({ upstreams: ports, cert: certificate.cert, key: certificate.key, bindAddress: NGINX_HOP });
  cleanup.push(() => nginx.stop());
  const ca = fs.readFileSync(certificate.cert);

  const muxes = [await client(`wss://127.0.0.1:${nginx.port}/`, ca), await client(`wss://127.0.0.1:${nginx.port}/`, ca)];
  for (const mux of muxes) expect(await echoOnce(mux, echo)).toBe('through nginx');
  // Round robin: one connection on each gateway, each seen as the real client address.
  await within(waitFor(() => gateways.every((g) => openLines(g.cli).length === 1)), 5000, 'a connection on each gateway');
  for (const { cli } of gateways) expect(openLines(cli)[0]).toContain(`conn 1 ${CLIENT} open`);

  // Straight to a gateway, the same header is not believed: the peer is not nginx.
  const direct = await client(gateways[0].url);
  expect(await echoOnce(direct, echo)).toBe('through nginx');
  await within(waitFor(() => openLines(gateways[0].cli).length === 2), 5000, 'the direct connection');
  expect(openLines(gateways[0].cli)[1]).toContain(`conn 2 ${CLIENT} open`);
  expect(gateways.map((g) => g.cli.stderr).join('\n')).not.toContain(SPOOFED);
});

function waitFor(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (condition() ? resolve() : void setTimeout(check, 10));
    check();
  });
}
