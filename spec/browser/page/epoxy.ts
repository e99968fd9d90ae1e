/**
 * Page script: epoxy-tls 2.1.19-1 (the Rust wisp-mux client compiled to WebAssembly), loaded
 * from the static origin as it is shipped (`epoxy.js` + `epoxy.wasm`), talking to wisp-rx serve.
 * Typed loosely on purpose: the module is fetched at run time, not bundled.
 */
import { concat, describeError, install, randomBytes, sha256Hex, within } from './common';

interface EpoxyIo {
  read: ReadableStream<Uint8Array>;
  write: WritableStream<Uint8Array>;
}
interface EpoxyClient {
  fetch(url: string, options: object): Promise<Response>;
  connect_tcp(url: string): Promise<EpoxyIo>;
  connect_udp(url: string): Promise<EpoxyIo>;
}
interface EpoxyModule {
  default(init: { module_or_path: string }): Promise<void>;
  EpoxyClient: new (url: string, options: object) => EpoxyClient;
  EpoxyClientOptions: new () => Record<string, unknown>;
  info: { version: string };
}

let loaded: Promise<EpoxyModule> | undefined;
function epoxy(): Promise<EpoxyModule> {
  const path = '/vendor/epoxy.js';
  loaded ??= (import(/* not bundled */ path) as Promise<EpoxyModule>).then(async (module) => {
    await module.default({ module_or_path: '/vendor/epoxy.wasm' });
    return module;
  });
  return loaded;
}

/**
 * How the client is configured: `default` (epoxy's defaults: v1, no subprotocol offered),
 * `wisp_v2` (`wisp_v2: true`, which offers only a random UUID subprotocol), or `wisp_v2+protocol`
 * (also `websocket_protocols: ['wisp-v2']`, the subprotocol wisp-rx and wisp-js look for).
 */
type Mode = 'default' | 'wisp_v2' | 'wisp_v2+protocol';

async function client(url: string, mode: Mode): Promise<EpoxyClient> {
  const module = await epoxy();
  const options = new module.EpoxyClientOptions();
  if (mode !== 'default') options.wisp_v2 = true;
  if (mode === 'wisp_v2+protocol') options.websocket_protocols = ['wisp-v2'];
  return new module.EpoxyClient(url, options);
}

async function version() {
  return (await epoxy()).info.version;
}

async function fetchText(url: string, target: string, v2: Mode) {
  const response = await within((await client(url, v2)).fetch(target, {}), 15_000, `fetch ${target}`);
  return { status: response.status, body: await response.text() };
}

async function fetchHashes(url: string, targets: string[], v2: Mode) {
  const epoxyClient = await client(url, v2);
  // All at once on one client: they share one Wisp connection.
  return within(
    Promise.all(
      targets.map(async (target) => {
        const response = await epoxyClient.fetch(target, {});
        const body = new Uint8Array(await response.arrayBuffer());
        return { status: response.status, length: body.byteLength, sha256: await sha256Hex(body) };
      }),
    ),
    30_000,
    `${targets.length} fetches`,
  );
}

async function postHash(url: string, target: string, size: number, v2: Mode) {
  const body = randomBytes(size);
  const response = await within((await client(url, v2)).fetch(target, { method: 'POST', body }), 20_000, 'POST');
  return { status: response.status, sent: await sha256Hex(body), server: (await response.json()) as { length: number; sha256: string } };
}

/** Reads `io` until `length` bytes arrived. */
async function readBytes(io: EpoxyIo, length: number): Promise<Uint8Array> {
  const reader = io.read.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < length) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  reader.releaseLock();
  return concat(chunks);
}

async function tcpEcho(url: string, target: string, size: number, v2: Mode) {
  const io = await within((await client(url, v2)).connect_tcp(target), 10_000, 'connect_tcp');
  const sent = randomBytes(size);
  const writer = io.write.getWriter();
  const echoed = readBytes(io, size);
  for (let at = 0; at < size; at += 16 * 1024) await writer.write(sent.subarray(at, at + 16 * 1024));
  // Not closed: closing epoxy's writable never settles (see spec/interop/README.md).
  const received = await within(echoed, 20_000, 'TCP echo');
  return { sent: await sha256Hex(sent), received: await sha256Hex(received), length: received.byteLength };
}

async function udpEcho(url: string, target: string, sizes: number[], v2: Mode) {
  try {
    const io = await within((await client(url, v2)).connect_udp(target), 10_000, 'connect_udp');
    const writer = io.write.getWriter();
    const reader = io.read.getReader();
    const results: { size: number; same: boolean }[] = [];
    for (const size of sizes) {
      const sent = randomBytes(size);
      await writer.write(sent);
      const { value } = await within(reader.read(), 5_000, `UDP datagram of ${size}`);
      results.push({ size: value!.byteLength, same: (await sha256Hex(value!)) === (await sha256Hex(sent)) });
    }
    return { ok: true, results };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

install({ version, fetchText, fetchHashes, postHash, tcpEcho, udpEcho });
