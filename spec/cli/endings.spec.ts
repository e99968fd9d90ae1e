/**
 * No client can end `wisp-rx serve`: every stream kind through every ending, against the real
 * process, which must stay alive and keep serving after each. Stream endings (client close,
 * target reset, server close by idle timeout) are applied to one stream of each kind;
 * connection endings (client close, client drop, server drop, a cut path) to a connection
 * holding one stream of every kind at once. Synchronised on the server's log lines.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { firstValueFrom } from 'rxjs';
import { WebSocket } from 'ws';
import { ClientMux } from '../../lib/wisp/client-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { encodeData } from '../../lib/wisp/packet/encode';
import { wsTransport } from '../../lib/transport/ws';
import { within } from '../mux/helpers';
import { cleanAll, cleanup, freePort, startServe, tcpServer, udpEcho, type Cli } from './helpers';

type Kind = 'tcp' | 'udp' | 'confirmed' | 'refused';
const KINDS: readonly Kind[] = ['tcp', 'udp', 'confirmed', 'refused'];
const MAX_PACKET = 64 * 1024;

interface Gateway {
  readonly cli: Cli;
  readonly url: string;
}

let main: Gateway;
let idle: Gateway; // closes streams after 300 ms without traffic
let echoPort: number;
let udpPort: number;
let deniedPort: number;
const resetters = new Set<net.Socket>();

beforeAll(async () => {
  echoPort = await tcpServer((socket) => socket.pipe(socket));
  udpPort = await udpEcho();
  deniedPort = await freePort();
  const common = ['--allow-loopback', '--port-deny', String(deniedPort), '--max-packet-size', String(MAX_PACKET), '--log-level', 'info'];
  main = await startServe(common);
  idle = await startServe([...common, '--idle-timeout', '300']);
}, 30_000);

afterAll(cleanAll);

afterEach(() => {
  for (const socket of resetters) socket.destroy();
  resetters.clear();
});

/** A client whose WebSocket the test can drop; `via` connects through a cuttable TCP proxy. */
async function client(url: string, via?: (port: number) => Promise<number>): Promise<{ mux: ClientMux; ws: WebSocket }> {
  const { port } = new URL(url);
  const target = via ? `ws://127.0.0.1:${await via(Number(port))}/` : url;
  let socket: WebSocket | undefined;
  const mux = await ClientMux.connect(target, {
    connector: (u, protocols) => {
      socket = new WebSocket(u, [...protocols], { perMessageDeflate: false });
      return Promise.resolve(wsTransport(socket));
    },
  });
  cleanup.push(() => mux.close());
  return { mux, ws: socket! };
}

/** A TCP proxy to the gateway whose sockets `cut()` destroys (neither end closes first). */
function cuttableProxy(): { via: (port: number) => Promise<number>; cut: () => void } {
  const sockets = new Set<net.Socket>();
  return {
    via: async (gatewayPort) => {
      const server = net.createServer((inbound) => {
        const outbound = net.connect(gatewayPort, '127.0.0.1');
        for (const s of [inbound, outbound]) sockets.add(s.on('error', () => undefined));
        inbound.pipe(outbound).pipe(inbound);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanup.push(() => new Promise((resolve) => server.close(resolve)));
      return (server.address() as net.AddressInfo).port;
    },
    cut: () => sockets.forEach((s) => s.destroy()),
  };
}

/** A TCP target that resets its connection when told. */
async function resettingTarget(): Promise<number> {
  return tcpServer((socket) => resetters.add(socket));
}

/** Opens a stream of `kind` and proves it works (refused: proves the refusal). */
async function openKind(mux: ClientMux, kind: Kind, ports: { tcp?: number; udp?: number } = {}): Promise<MuxStream | undefined> {
  if (kind === 'refused') {
    const stream = await mux.open('tcp', '127.0.0.1', deniedPort);
    expect(await within(firstValueFrom(stream.closed$), 5000, 'the refusal')).toBe(CloseReason.HostBlocked);
    return undefined;
  }
  const udp = kind === 'udp';
  const stream = await mux.open(udp ? 'udp' : 'tcp', '127.0.0.1', udp ? (ports.udp ?? udpPort) : (ports.tcp ?? echoPort), {
    awaitConfirmation: kind === 'confirmed',
  });
  if (ports.tcp === undefined && ports.udp === undefined) {
    // A reader that stays: a stream whose last reader leaves is torn down, and these must
    // stay open for the endings under test.
    const back = new Promise<Uint8Array>((resolve) => stream.data$.subscribe({ next: resolve, error: () => undefined }));
    await stream.write(new TextEncoder().encode(`ping ${kind}`));
    expect(new TextDecoder().decode(await within(back, 5000, `${kind} echo`))).toBe(`ping ${kind}`);
  }
  return stream;
}

const closedLines = (cli: Cli): number => (cli.stderr.match(/conn \d+ \S+ closed/g) ?? []).length;

/** The process is alive and a fresh connection echoes through it. */
async function stillServing(gateway: Gateway): Promise<void> {
  expect(gateway.cli.child.exitCode).toBeNull();
  expect(gateway.cli.child.signalCode).toBeNull();
  const { mux } = await client(gateway.url);
  await openKind(mux, 'tcp');
  await openKind(mux, 'udp');
  await mux.close();
  expect(gateway.cli.stderr).not.toMatch(/Unhandled|TypeError|ReferenceError|uncaught/i);
}

describe('wisp-rx serve survives every stream ending', () => {
  for (const kind of KINDS.filter((k) => k !== 'refused')) {
    it(`${kind}: client closes the stream`, async () => {
      const { mux } = await client(main.url);
      const stream = (await openKind(mux, kind))!;
      stream.close();
      expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.Voluntary);
      await stillServing(main);
    });

    it(`${kind}: the target resets or is gone`, async () => {
      const { mux } = await client(main.url);
      let stream: MuxStream;
      if (kind === 'udp') {
        // A connected UDP socket learns of a closed port from ICMP: ECONNREFUSED.
        const gone = dgram.createSocket('udp4');
        await new Promise<void>((resolve) => gone.bind(0, '127.0.0.1', resolve));
        const port = gone.address().port;
        await new Promise<void>((resolve) => gone.close(() => resolve()));
        stream = (await openKind(mux, kind, { udp: port }))!;
      } else {
        const port = await resettingTarget();
        stream = (await openKind(mux, kind, { tcp: port }))!;
        await within(waitUntil(() => resetters.size > 0), 5000, 'the target connection');
        for (const socket of resetters) socket.resetAndDestroy();
      }
      if (kind === 'udp') await stream.write(new TextEncoder().encode('anyone?')).catch(() => undefined);
      const reason = await within(firstValueFrom(stream.closed$), 5000, 'the stream close');
      expect(kind === 'udp' ? [CloseReason.ConnectionRefused, CloseReason.NetworkError] : [CloseReason.NetworkError, CloseReason.Voluntary]).toContain(reason);
      await stillServing(main);
    });

    it(`${kind}: the server closes the stream (idle timeout)`, async () => {
      const { mux } = await client(idle.url);
      const stream = (await openKind(mux, kind))!;
      expect(await within(firstValueFrom(stream.closed$), 5000, 'the idle close')).toBe(CloseReason.TransferTimeout);
      await stillServing(idle);
    });
  }
});

describe('wisp-rx serve survives every connection ending, with every stream kind open', () => {
  async function openAll(mux: ClientMux): Promise<MuxStream[]> {
    const streams: MuxStream[] = [];
    for (const kind of KINDS) {
      const stream = await openKind(mux, kind);
      if (stream) streams.push(stream);
    }
    // Subscribed readers without error handlers would be the test's problem, not the server's.
    for (const stream of streams) stream.data$.subscribe({ error: () => undefined });
    return streams;
  }

  async function endsOnServer(gateway: Gateway, act: () => void | Promise<void>): Promise<void> {
    const before = closedLines(gateway.cli);
    await act();
    await gateway.cli.waitFor(new RegExp(`(?:[\\s\\S]*?conn \\d+ \\S+ closed){${before + 1}}`), 5000);
    await stillServing(gateway);
  }

  it('the client closes the connection', async () => {
    const { mux } = await client(main.url);
    await openAll(mux);
    await endsOnServer(main, () => mux.close());
  });

  it('the client drops its WebSocket (no close frame)', async () => {
    const { mux, ws } = await client(main.url);
    await openAll(mux);
    await endsOnServer(main, () => ws.terminate());
  });

  it('the server drops the WebSocket (a message over --max-packet-size: 1009)', async () => {
    const { mux, ws } = await client(main.url);
    await openAll(mux);
    await endsOnServer(main, () => ws.send(encodeData(1, new Uint8Array(MAX_PACKET))));
    expect(main.cli.stderr).toMatch(/closed: PacketTooLarge/);
  });

  it('the path between them is cut (both sockets destroyed)', async () => {
    const proxy = cuttableProxy();
    const { mux } = await client(main.url, proxy.via);
    await openAll(mux);
    await endsOnServer(main, () => proxy.cut());
  });
});

function waitUntil(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (condition() ? resolve() : void setImmediate(check));
    check();
  });
}
