import { firstValueFrom } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux, type ServerMuxOptions } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { streamConfirmation, udp } from '../../lib/wisp/extensions/index';
import type { ExtensionBuilder } from '../../lib/wisp/extensions/extension';
import { collect, continuesOf, dataOf, echo, pattern, sha256, tap, until, type Tapped } from './helpers';

const digests = (chunks: Uint8Array[]) => chunks.map((c) => `${c.length}:${sha256([c])}`);

async function pair(protocol: string, server: ServerMuxOptions = {}, clientExtensions?: ExtensionBuilder[]) {
  const [c, s] = memoryTransportPair({ protocol });
  const clientSide = tap(c);
  const serverSide = tap(s);
  const serverMux = ServerMux.accept(serverSide.transport, { maxPayload: 1000, bufferSize: 4, ...server });
  const client = await ClientMux.connect(clientSide.transport, {
    maxPayload: 1000,
    ...(clientExtensions ? { extensions: clientExtensions } : {}),
  });
  return { client, server: serverMux, clientSide, serverSide };
}

/** One write is one DATA packet is one datagram, both ways, whatever maxPayload says. */
async function checkDatagrams(client: ClientMux, server: ServerMux, clientSide: Tapped, serverSide: Tapped): Promise<void> {
  const incoming = firstValueFrom(server.streams$);
  const stream = await client.open('udp', 'dns.test', 53);
  const { connect, stream: remote } = await incoming;
  expect(connect).toEqual({ kind: 'udp', host: 'dns.test', port: 53 });
  expect(remote.kind).toBe('udp');
  const up = collect(remote);
  const sizes = [3000, 1, 0, 1500, 65535];
  const datagrams = sizes.map((n, i) => pattern(n, i + 1));
  for (const d of datagrams) await stream.write(d);
  await until(() => up.chunks.length === sizes.length, 'every datagram at the server');
  expect(dataOf(clientSide.sent, stream.id).map((p) => p.payload.length)).toEqual(sizes);
  expect(digests(up.chunks)).toEqual(digests(datagrams));

  const down = collect(stream);
  for (const d of datagrams) await remote.write(d);
  await until(() => down.chunks.length === sizes.length, 'every datagram at the client');
  expect(dataOf(serverSide.sent, stream.id).map((p) => p.payload.length)).toEqual(sizes);
  expect(digests(down.chunks)).toEqual(digests(datagrams));

  // No credit on UDP: far more datagrams than bufferSize (4) go out without any CONTINUE.
  for (let i = 0; i < 50; i++) stream.send(Uint8Array.of(i));
  await until(() => up.chunks.length === sizes.length + 50, 'the burst at the server');
  expect(continuesOf(serverSide.sent, stream.id)).toEqual([]);
  expect(up.chunks.slice(sizes.length).map((c) => c[0])).toEqual([...Array(50).keys()]);

  await expect(stream.write(new Uint8Array(65536))).rejects.toMatchObject({ code: 'InvalidArgument' });
  expect(stream.closed).toBe(false);
}

describe('UDP streams', () => {
  it('work on v1, one write per packet per datagram', async () => {
    const { client, server, clientSide, serverSide } = await pair('');
    expect(client.version.major).toBe(1);
    await checkDatagrams(client, server, clientSide, serverSide);
    await client.close();
  });

  it('work on v2 with the UDP extension agreed, one write per packet per datagram', async () => {
    const { client, server, clientSide, serverSide } = await pair('wisp-v2');
    expect(client.version.major).toBe(2);
    expect(client.extensionIds).toContain(0x01);
    await checkDatagrams(client, server, clientSide, serverSide);
    await client.close();
  });

  it.each([
    ['the server does not offer it', { extensions: [streamConfirmation()] }, undefined],
    ['the client does not offer it', {}, [streamConfirmation()]],
  ])('are refused on v2 with ExtensionsNotSupported when %s; TCP still works', async (_, serverOptions, clientExtensions) => {
    const { client, server } = await pair('wisp-v2', serverOptions, clientExtensions);
    echo(server);
    expect(client.version.major).toBe(2);
    expect(client.extensionIds).not.toContain(0x01);
    await expect(client.open('udp', 'dns.test', 53)).rejects.toMatchObject({ code: 'ExtensionsNotSupported', extensionIds: [0x01] });
    expect(client.streamCount).toBe(0);
    const stream: MuxStream = await client.open('tcp', 'echo.test', 7);
    const reader = collect(stream);
    await stream.write(Uint8Array.of(1, 2));
    await until(() => reader.chunks.length === 1, 'the TCP echo');
    await client.close();
  });

  it('is available on v2 with only the UDP extension listed by both', async () => {
    const { client, server, clientSide, serverSide } = await pair('wisp-v2', { extensions: [udp()] }, [udp()]);
    expect(client.extensionIds).toEqual([0x01]);
    await checkDatagrams(client, server, clientSide, serverSide);
    await client.close();
  });
});
