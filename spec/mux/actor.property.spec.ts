/**
 * Property tests for the multiplexer under hostile input. A hand-driven peer feeds a real
 * ServerMux (v1, and v2 over a `wisp-v2` memory pair) or a real ClientMux arbitrary
 * sequences of raw messages: every packet type including unknown ones, truncated, trailing
 * and oversized packets, DATA/CONTINUE/CLOSE for unknown streams, CONNECT reusing a live id
 * or on stream 0, CONTINUE sent by a client, INFO after the handshake, bursts of DATA past
 * credit, CLOSE(0) — interleaved, on the client side, with the application opening,
 * writing, pausing and closing streams.
 *
 * Properties, checked for every case:
 * - nothing escapes: no RxJS unhandled error (per case), no uncaught exception or unhandled
 *   rejection (Jest fails the test on those; see `escaped` below);
 * - every outcome is typed: errors$ carries WispErrors with codes from a known set, closed$
 *   a reason or a WispError, and every CLOSE the mux sends has a documented reason and a
 *   cause (the packet it answered, traced synchronously, or the handler that closed);
 * - bounded queues: a server never holds more than bufferSize packets for a TCP stream
 *   (2·bufferSize−1 once a stream-open confirmation went out after early DATA: the window's
 *   documented slack), checked after every inbound message and again through the consumer
 *   when a paused one resumes; a client never holds more than maxQueuedPackets+1 per stream;
 * - the client never sends DATA past its credit (an exact model of the credit rules, fed by
 *   the packets it sent and received, in order), and what it sends is what was written;
 * - a second, honest connection, served by the same handler function on its own ServerMux,
 *   keeps echoing correctly through every case;
 * - every case ends closed: all handlers and pending writes settle, and `debugState()` shows
 *   nothing left (no streams, subscriptions, observers, transport reader). A case that hangs
 *   fails (fast-check `timeout` plugin, plus bounded waits).
 *
 * `npm test` runs FUZZ_RUNS=2000 cases per property (the default below; about 1 s each);
 * `npm run fuzz` (jest.fuzz.config.js) raises that to 100000 per property, 400000 in all.
 * Reproduce a failure with FUZZ_SEED=<seed> and FUZZ_PATH=<path> as printed by fast-check.
 */
import fc from 'fast-check';
import { Observable, config as rxConfig } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux, type ConnectRequest } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import type { MuxEnd } from '../../lib/core/actor';
import { WispError } from '../../lib/errors';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { decodePacket } from '../../lib/wisp/packet/decode';
import { encodeClose, encodeConnect, encodeContinue, encodeData, encodeInfo } from '../../lib/wisp/packet/encode';
import { PacketType, StreamType, type CorePacket } from '../../lib/wisp/packet/types';
import { memoryTransportPair } from '../../lib/transport/memory';
import { messageBytes, type Transport, type TransportMessage } from '../../lib/transport/transport';
import { udp } from '../../lib/wisp/extensions/udp';
import { streamConfirmation } from '../../lib/wisp/extensions/stream-confirmation';
import { motd } from '../../lib/wisp/extensions/motd';
import { CLIENT_INFO_EXTENSIONS, pattern, settle, track, virtualDelivery, within, type VirtualDelivery } from './helpers';
import { failTest } from '../observers';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PATH = process.env.FUZZ_PATH;
/** Cases per property. */
const CASES = Math.max(1, RUNS);
/** A case that takes longer than this has hung. */
const CASE_TIMEOUT_MS = 5000;
/** Bound on anything a case waits for (all of it runs on microtasks: it should take < 10 ms). */
const PROMPTLY = 2000;

/**
 * The fuzzed connection delivers in virtual time: between steps, and before the checks at
 * quiescence, `quiesce()` runs deliveries until none is left, so "nothing more will happen"
 * is a fact about an empty queue, not a guess after one turn. This delivers until `promise`
 * settles (the real-time timers, such as a close deadline, run in between), within PROMPTLY.
 */
async function deliverUntil<T>(time: VirtualDelivery, promise: Promise<T>, what: string): Promise<T> {
  const tracked = track(promise);
  await within(time.until(tracked.settled, what), PROMPTLY, what);
  return promise;
}

const params = (): fc.Parameters<unknown> => ({
  numRuns: CASES,
  plugins: [fc.timeout(CASE_TIMEOUT_MS)],
  ...(SEED === undefined ? {} : { seed: SEED }),
  ...(PATH === undefined ? {} : { path: PATH }),
});

// ---------------------------------------------------------------------------------------
// Things that must never happen anywhere: collected while the properties run
// ---------------------------------------------------------------------------------------

/**
 * Errors that escaped to the runtime, checked after every case so the case that caused one
 * fails (and shrinks). RxJS reports an error no subscriber handles through its config hooks,
 * captured here synchronously. `process.on('uncaughtException' | 'unhandledRejection')`
 * listeners cannot be used from a Jest test file: they attach to Jest's sandboxed copy of
 * `process` and never fire. Jest itself fails the running test on either (checked), so such
 * an escape still fails the property, only without shrinking; the test code's own promises
 * all end in handlers that report here instead.
 */
const escaped: string[] = [];
const onEscape = (kind: string) => (error: unknown) => escaped.push(`${kind}: ${error instanceof Error ? error.stack : String(error)}`);
beforeAll(() => {
  rxConfig.onUnhandledError = onEscape('RxJS unhandled error');
  rxConfig.onStoppedNotification = (notification) => {
    if (notification.kind === 'E') escaped.push(`RxJS error after the end: ${String(notification.error)}`);
  };
});
afterAll(() => {
  rxConfig.onUnhandledError = null;
  rxConfig.onStoppedNotification = null;
});

function expectNothingEscaped(): void {
  if (escaped.length > 0) throw new Error(escaped.splice(0).join('\n'));
}

/**
 * How often the interesting situations came up, per property: logged, and checked at the end
 * so that a property cannot pass by never reaching what it is meant to test.
 */
type Coverage = Record<string, number>;
const hit = (coverage: Coverage, what: string, n = 1): void => {
  if (n > 0) coverage[what] = (coverage[what] ?? 0) + n;
};
function expectCovered(coverage: Coverage, what: readonly string[], title: string): void {
  console.log(`${title}: ${JSON.stringify(coverage)}`);
  if (CASES < 500) return; // too few cases to expect every situation
  const missing = what.filter((w) => !(coverage[w] > 0));
  expect(missing).toEqual([]);
}

/**
 * Liveness at quiescence: a stream with writes waiting must be waiting for credit (client TCP)
 * or for the transport, or gathering small writes until the next timer turn (short credit);
 * otherwise they wait for a pump that may never come.
 */
function expectNoStuckWrites(state: ReturnType<ClientMux['debugState']>, who: string): void {
  for (const st of state.streams) {
    if (st.pendingWrites > 0 && st.credit > 0 && !state.blocked && !st.gathering) {
      throw new Error(`${who}: stream ${st.id} has ${st.pendingWrites} writes waiting with credit ${st.credit} and the transport free`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The server application, shared by the fuzzed and the honest connections
// ---------------------------------------------------------------------------------------

/** Host names that pick a behaviour (anything else echoes). */
const HOSTS = ['echo', 'sink', 'slow', 'blocked', 'quit', 'late'] as const;

/** What one connection's handler records, for the checks. */
interface Served {
  readonly handlers: Promise<unknown>[];
  /** Streams currently paused by the handler ('slow', 'late'), with chunks delivered so far. */
  readonly paused: Map<MuxStream, { delivered: number }>;
}

/**
 * The server application: one function, used by every connection. `echo` (and unknown
 * hosts) returns every byte; `sink` reads and drops; `slow` stops reading; `blocked` is
 * refused with HostBlocked; `quit` closes after its first chunk; `late` stops reading and
 * confirms the stream one event-loop turn later (v2). All but `late` confirm at once.
 */
function serve({ connect, stream }: { connect: ConnectRequest; stream: MuxStream }, served: Served): void {
  const host = connect.host;
  if (host === 'blocked') return stream.close(CloseReason.HostBlocked);
  if (host !== 'late') stream.confirm();
  if (connect.kind === 'udp') {
    stream.data$.subscribe({ next: (d) => stream.send(d), error: () => undefined });
    return;
  }
  if (host === 'slow' || host === 'late') {
    const state = { delivered: 0 };
    served.paused.set(stream, state);
    stream.pause();
    stream.data$.subscribe({ next: () => state.delivered++, error: () => undefined });
    // Confirms on a later turn, as a gateway does once its dial completes: DATA sent right
    // after the CONNECT is already queued by then.
    if (host === 'late') setImmediate(() => stream.confirm());
    return;
  }
  if (host === 'sink') {
    stream.data$.subscribe({ error: () => undefined });
    return;
  }
  served.handlers.push(
    (async () => {
      for await (const chunk of stream) {
        if (host === 'quit') return stream.close(CloseReason.Voluntary);
        await stream.write(chunk);
      }
    })().catch((error: unknown) => {
      if (!(error instanceof WispError)) escaped.push(`a handler failed with ${String(error)}`);
    }),
  );
}

function serveAll(server: ServerMux): Served {
  const served: Served = { handlers: [], paused: new Map() };
  server.streams$.subscribe({ next: (item) => serve(item, served), error: failTest });
  return served;
}

// ---------------------------------------------------------------------------------------
// Recording transport: raw messages in and out, and which inbound message caused an output
// ---------------------------------------------------------------------------------------

interface Sent {
  readonly bytes: Uint8Array;
  /** The inbound message being processed when this was sent, if any (synchronous cause). */
  readonly cause: Uint8Array | undefined;
}

interface Recorder {
  readonly transport: Transport;
  /** What the mux sent, with causes. */
  readonly out: Sent[];
  /** Everything in and out, in the order the mux saw it. */
  readonly log: { readonly dir: 'in' | 'out'; readonly bytes: Uint8Array }[];
}

/** Wraps a transport; `afterEach` runs after the mux has processed each inbound message. */
function record(inner: Transport, afterEach: () => void): Recorder {
  const out: Sent[] = [];
  const log: Recorder['log'] = [];
  let current: Uint8Array | undefined;
  const messages$ = new Observable<TransportMessage>((subscriber) =>
    inner.messages$.subscribe({
      next(message) {
        const bytes = messageBytes(message);
        log.push({ dir: 'in', bytes });
        current = bytes;
        try {
          subscriber.next(message);
        } finally {
          current = undefined;
        }
        afterEach();
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );
  const transport: Transport = {
    messages$,
    closed$: inner.closed$,
    drain$: inner.drain$,
    get writable() {
      return inner.writable;
    },
    get protocol() {
      return inner.protocol;
    },
    send(message) {
      out.push({ bytes: message, cause: current });
      log.push({ dir: 'out', bytes: message });
      return inner.send(message);
    },
    pause: () => inner.pause(),
    resume: () => inner.resume(),
    close: (code, reason) => inner.close(code, reason),
  };
  return { transport, out, log };
}

/** Decodes a core packet (no extension types are ever agreed here), or returns the WispError. */
function tryDecode(bytes: Uint8Array): CorePacket | WispError {
  try {
    return decodePacket(bytes) as CorePacket;
  } catch (error) {
    if (error instanceof WispError) return error;
    throw error;
  }
}

const idOf = (bytes: Uint8Array): number | undefined =>
  bytes.length >= 5 ? (bytes[1] | (bytes[2] << 8) | (bytes[3] << 16)) + bytes[4] * 0x1000000 : undefined;

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 24)).toString('hex') + (b.length > 24 ? `…(${b.length})` : '');

// ---------------------------------------------------------------------------------------
// Arbitraries: raw messages from a hostile peer
// ---------------------------------------------------------------------------------------

/** A labelled batch of raw messages sent back to back (a label keeps counterexamples readable). */
interface Msg {
  readonly label: string;
  readonly bytes: readonly Uint8Array[];
}

const one = (label: string, bytes: Uint8Array): Msg => ({ label, bytes: [bytes] });

/** Stream ids: mostly a few small ones (so streams collide and get reused), sometimes anything. */
const idArb = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constantFrom(0xffffffff, 0x80000000, 0x100) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
);
const nonZeroIdArb = idArb.filter((id) => id !== 0);
const hostArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...HOSTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });
const payloadArb = fc.uint8Array({ maxLength: 40 });
/** One DATA payload larger than any maxPayload used here (64 KiB default): allocated once. */
const OVERSIZED = pattern(70_000, 3);

const connectArb = fc
  .record({ id: idArb, udp: fc.boolean(), port: fc.integer({ min: 0, max: 0xffff }), host: hostArb })
  .map(({ id, udp: isUdp, port, host }) => one(`CONNECT(${id},${isUdp ? 'udp' : 'tcp'},${host})`, encodeConnect(id, isUdp ? StreamType.Udp : StreamType.Tcp, port, host)));
const dataArb = fc.tuple(idArb, payloadArb).map(([id, p]) => one(`DATA(${id},${p.length})`, encodeData(id, p)));
const burstArb = fc
  .tuple(nonZeroIdArb, fc.integer({ min: 2, max: 40 }))
  .map(([id, n]) => ({ label: `DATA×${n}(${id})`, bytes: Array.from({ length: n }, (_, i) => encodeData(id, Uint8Array.of(i))) }));
/** A stream opened with DATA right behind its CONNECT: what a client does before the (late) confirmation. */
const earlyDataArb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.oneof(fc.constant('late'), fc.constantFrom(...HOSTS)), fc.integer({ min: 1, max: 3 })).map(([id, host, n]) => ({
  label: `CONNECT(${id},tcp,${host})+DATA×${n}`,
  bytes: [encodeConnect(id, StreamType.Tcp, 80, host), ...Array.from({ length: n }, (_, i) => encodeData(id, Uint8Array.of(i)))],
}));
const oversizedArb = nonZeroIdArb.map((id) => one(`DATA(${id},oversized)`, encodeData(id, OVERSIZED)));
const continueArb = fc.tuple(idArb, fc.integer({ min: 0, max: 0xffffffff })).map(([id, v]) => one(`CONTINUE(${id},${v})`, encodeContinue(id, v)));
const closeArb = fc.tuple(nonZeroIdArb, fc.integer({ min: 0, max: 0xff })).map(([id, r]) => one(`CLOSE(${id},${r})`, encodeClose(id, r)));
const close0Arb = fc.integer({ min: 0, max: 0xff }).map((r) => one(`CLOSE(0,${r})`, encodeClose(0, r)));
const infoArb = fc
  .tuple(idArb, fc.integer({ min: 0, max: 3 }), fc.array(fc.record({ id: fc.integer({ min: 0, max: 0xff }), metadata: fc.uint8Array({ maxLength: 8 }) }), { maxLength: 3 }))
  .map(([id, major, ext]) => one(`INFO(${id},v${major})`, encodeInfo(id, major, 0, ext)));
const unknownTypeArb = fc
  .tuple(fc.oneof(fc.constant(0), fc.integer({ min: 6, max: 0xff })), idArb, payloadArb)
  .map(([type, id, p]) => {
    const bytes = encodeData(id, p);
    bytes[0] = type;
    return one(`type 0x${type.toString(16)}(${id})`, bytes);
  });
const validArb = fc.oneof(connectArb, dataArb, continueArb, closeArb, infoArb);
const truncatedArb = fc.tuple(validArb, fc.nat()).map(([m, n]) => {
  const b = m.bytes[0];
  return one(`truncated ${m.label}`, b.slice(0, n % b.length));
});
const trailingArb = fc
  .tuple(fc.oneof(continueArb, closeArb, close0Arb), fc.uint8Array({ minLength: 1, maxLength: 4 }))
  .map(([m, extra]) => one(`${m.label}+${extra.length}`, Uint8Array.of(...m.bytes[0], ...extra)));
const badConnectArb = fc.tuple(nonZeroIdArb, fc.boolean()).map(([id, badType]) => {
  const bytes = encodeConnect(id, StreamType.Tcp, 80, 'xx');
  if (badType) bytes[5] = 3;
  else bytes.set([0xff, 0xfe], bytes.length - 2);
  return one(`CONNECT(${id},${badType ? 'bad type' : 'bad utf-8'})`, bytes);
});
const garbageArb = fc.uint8Array({ maxLength: 12 }).map((b) => one(`garbage ${hex(b)}`, b));

/** Everything a hostile client may send a server. */
const toServerArb: fc.Arbitrary<Msg> = fc.oneof(
  { weight: 6, arbitrary: connectArb },
  { weight: 6, arbitrary: dataArb },
  { weight: 5, arbitrary: burstArb },
  { weight: 2, arbitrary: earlyDataArb },
  { weight: 1, arbitrary: oversizedArb },
  { weight: 2, arbitrary: continueArb },
  { weight: 2, arbitrary: closeArb },
  { weight: 1, arbitrary: close0Arb },
  { weight: 1, arbitrary: infoArb },
  { weight: 1, arbitrary: unknownTypeArb },
  { weight: 1, arbitrary: truncatedArb },
  { weight: 1, arbitrary: trailingArb },
  { weight: 1, arbitrary: badConnectArb },
  { weight: 1, arbitrary: garbageArb },
);

/** Everything a hostile server may send a client (ids 1..4 hit the client's streams). */
const toClientArb: fc.Arbitrary<Msg> = fc.oneof(
  { weight: 6, arbitrary: dataArb },
  { weight: 3, arbitrary: burstArb.map((m) => ({ ...m, bytes: [...m.bytes, ...m.bytes, ...m.bytes] })) },
  { weight: 1, arbitrary: oversizedArb },
  { weight: 5, arbitrary: continueArb },
  { weight: 2, arbitrary: closeArb },
  { weight: 1, arbitrary: close0Arb },
  { weight: 1, arbitrary: connectArb },
  { weight: 1, arbitrary: infoArb },
  { weight: 1, arbitrary: unknownTypeArb },
  { weight: 1, arbitrary: truncatedArb },
  { weight: 1, arbitrary: trailingArb },
  { weight: 1, arbitrary: garbageArb },
);

const stepsOf = <T>(arb: fc.Arbitrary<T>) => fc.array(fc.array(arb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 });

// ---------------------------------------------------------------------------------------
// Checks shared by the properties
// ---------------------------------------------------------------------------------------

const DECODE_CODES = new Set(['PacketTooShort', 'InvalidPacketType', 'InvalidStreamType', 'InvalidUtf8', 'TrailingBytes']);
const PROTOCOL_CODES = new Set([...DECODE_CODES, 'UnexpectedPacket', 'Throttled']);
const END_CODES = new Set([
  'TransportClosed',
  'HandshakeFailed',
  'HandshakeTimeout',
  'IncompatibleProtocolVersion',
  'ExtensionsNotSupported',
  'ConnectionClosedByPeer',
  'InvalidExtensionMetadata',
  'AuthRequired',
  'PasswordExtensionCredsInvalid',
  'CertAuthExtensionSigInvalid',
  'Throttled', // a peer's CLOSE(0, 0x49) during the handshake (refusalError maps the reason)
]);

function expectTypedErrors(errors: readonly unknown[]): void {
  for (const e of errors) {
    if (!(e instanceof WispError) || !PROTOCOL_CODES.has(e.code)) throw new Error(`untyped or unexpected error on errors$: ${String(e)}`);
  }
}

function expectTypedEnd(end: MuxEnd | undefined): void {
  if (!end) throw new Error('the connection did not report its end');
  if (end.error !== undefined) {
    if (!(end.error instanceof WispError) || !END_CODES.has(end.error.code)) throw new Error(`closed$ with an unexpected error: ${String(end.error)}`);
  } else if (typeof end.reason !== 'number') {
    throw new Error(`closed$ with neither reason nor error: ${JSON.stringify(end)}`);
  }
}

function expectNothingLeft(state: ReturnType<ClientMux['debugState']>, who: string): void {
  const left = state.ended && state.streams.length === 0 && state.sendQueue === 0 && state.liveSubscriptions === 0 && !state.readingTransport && state.pausingStreams === 0;
  if (!left) throw new Error(`${who} left something behind: ${JSON.stringify(state)}`);
}

/** The connection's end, once it has one. */
function endOf(mux: { closed$: Observable<MuxEnd> }): () => MuxEnd | undefined {
  let end: MuxEnd | undefined;
  mux.closed$.subscribe({ next: (e) => (end = e), error: failTest });
  return () => end;
}

// ---------------------------------------------------------------------------------------
// The honest connection, alive through every case of a property
// ---------------------------------------------------------------------------------------

interface Honest {
  readonly client: ClientMux;
  readonly server: ServerMux;
  readonly stream: MuxStream;
  /** Bytes echoed since the last check. */
  received: number[];
  /** Set by the suite before it closes the connection on purpose. */
  closing: boolean;
}

async function honestConnection(protocol: '' | 'wisp-v2'): Promise<Honest> {
  const [c, s] = memoryTransportPair({ protocol });
  const server = ServerMux.accept(s, { bufferSize: 4 });
  serveAll(server);
  const client = await ClientMux.connect(c, { v2: protocol !== '' });
  const stream = await client.open('tcp', 'echo', 7);
  const honest: Honest = { client, server, stream, received: [], closing: false };
  stream.data$.subscribe({
    next: (chunk) => honest.received.push(...chunk),
    error: (e: unknown) => escaped.push(`the honest stream failed: ${String(e)}`),
    complete: () => honest.closing || escaped.push('the honest stream ended'),
  });
  return honest;
}

/** Writes one chunk per step on the honest stream; `check()` waits for the echo and compares. */
function honestTraffic(honest: Honest) {
  const expected: number[] = [];
  return {
    write(seed: number): void {
      const chunk = pattern(1 + (seed % 300), seed + 1);
      expected.push(...chunk);
      honest.stream.write(chunk).catch((e: unknown) => escaped.push(`an honest write failed: ${String(e)}`));
    },
    async check(): Promise<void> {
      // A deadline, not a count of turns: small writes on short credit wait a timer turn to gather.
      const deadline = Date.now() + 2000;
      for (let i = 0; (i < 200 || Date.now() < deadline) && honest.received.length < expected.length; i++) await settle();
      const got = honest.received.splice(0);
      if (got.length !== expected.length || got.some((b, i) => b !== expected[i])) {
        throw new Error(`the honest connection echoed ${got.length} of ${expected.length} bytes, or different ones`);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// Server properties
// ---------------------------------------------------------------------------------------

interface ServerCase {
  readonly bufferSize: number;
  readonly maxStreams: number;
  /** v2 only: how the client answers the server's INFO. */
  readonly handshake: 'honest' | 'no-extensions' | 'bad-version' | 'none';
  readonly steps: readonly (readonly Msg[])[];
}

const serverCaseArb = (v2: boolean): fc.Arbitrary<ServerCase> =>
  fc.record({
    bufferSize: fc.constantFrom(1, 2, 3, 4, 8),
    maxStreams: fc.constantFrom(1, 2, 3, 1024),
    handshake: v2
      ? fc.oneof({ weight: 12, arbitrary: fc.constant('honest' as const) }, { weight: 1, arbitrary: fc.constantFrom('no-extensions' as const, 'bad-version' as const, 'none' as const) })
      : fc.constant('honest' as const),
    steps: stepsOf(toServerArb),
  });

async function serverCase(v2: boolean, k: ServerCase, honest: Honest, coverage: Coverage): Promise<void> {
  const protocol = v2 ? 'wisp-v2' : '';
  const time = virtualDelivery();
  const [c, s] = memoryTransportPair({ protocol, scheduler: time.scheduler });
  const violations: string[] = [];
  let server: ServerMux | undefined;
  const hosts = new Map<number, string>(); // the current stream on each id
  const everHosts = new Map<number, Set<string>>(); // every stream there was on each id
  const bound = (id: number): number => (v2 && hosts.get(id) === 'late' ? 2 * k.bufferSize - 1 : k.bufferSize);
  let slack = false;
  const rec = record(s, () => {
    for (const st of server?.debugState().streams ?? []) {
      if (st.kind === 'tcp' && st.queued > bound(st.id)) violations.push(`stream ${st.id} holds ${st.queued} packets (bound ${bound(st.id)})`);
      if (st.kind === 'tcp' && st.queued > k.bufferSize) slack = true;
    }
  });
  server = ServerMux.accept(rec.transport, { bufferSize: k.bufferSize, maxStreams: k.maxStreams, handshakeTimeoutMs: 60_000 });
  const end = endOf(server);
  const errors: unknown[] = [];
  const served = serveAll(server);
  server.streams$.subscribe({
    next: ({ connect, stream }) => {
      hosts.set(stream.id, connect.host);
      everHosts.set(stream.id, (everHosts.get(stream.id) ?? new Set()).add(connect.host));
    },
    error: failTest,
  });
  const subscribeErrors = (): void => void server.errors$.subscribe({ next: (e) => errors.push(e), error: failTest });
  const traffic = honestTraffic(honest);

  // The hostile client's handshake.
  c.messages$.subscribe({ error: () => undefined }); // the hostile client reads (and ignores) everything
  if (v2) {
    if (k.handshake === 'honest') c.send(encodeInfo(0, 2, 0, CLIENT_INFO_EXTENSIONS));
    if (k.handshake === 'no-extensions') c.send(encodeInfo(0, 2, 0, []));
    if (k.handshake === 'bad-version') c.send(encodeInfo(0, 1, 0, []));
    await time.quiesce(); // the handshake settles before the rest, so errors$ sees all of it
  }
  if (server.debugState().handshake === 'done') subscribeErrors();
  else void server.ready.then(subscribeErrors, () => undefined); // 'none': a fuzzed INFO may still complete it

  const hostile: Uint8Array[] = [];
  for (const [i, step] of k.steps.entries()) {
    for (const m of step) {
      for (const b of m.bytes) {
        c.send(b);
        hostile.push(b);
      }
    }
    traffic.write(i * 31 + step.length);
    await time.quiesce();
  }

  expectNoStuckWrites(server.debugState(), 'the server'); // at quiescence: no delivery left
  hit(coverage, 'slack used', slack ? 1 : 0);

  // Paused consumers resume: what they get at once is what the server was holding.
  for (const [stream, state] of served.paused) {
    if (stream.closed) continue;
    const before = state.delivered;
    stream.resume();
    const burst = state.delivered - before;
    if (burst > bound(stream.id)) violations.push(`a resumed consumer got ${burst} packets at once (bound ${bound(stream.id)})`);
  }
  await deliverUntil(time, server.close(), 'server.close()');
  await deliverUntil(time, Promise.all(served.handlers), 'the handlers to end');
  await traffic.check();
  await time.quiesce();

  // --- checks ------------------------------------------------------------------------------
  expectNothingEscaped();
  if (violations.length > 0) throw new Error(violations.join('\n'));
  expectTypedErrors(errors);
  expectTypedEnd(end());
  const state = server.debugState();
  expectNothingLeft(state, 'the server');
  if (state.streamSubscribers !== 0 || state.waitingStreams !== 0) throw new Error(`streams$ left behind: ${JSON.stringify(state)}`);

  // Every CLOSE the server sent has a documented reason and a cause.
  const handshakeRefused = end()?.error !== undefined && state.handshake === 'failed';
  for (const { bytes, cause } of rec.out) {
    const p = decodePacket(bytes) as CorePacket;
    if (p.type === PacketType.Continue && p.streamId !== 0 && p.bufferRemaining > k.bufferSize) {
      throw new Error(`CONTINUE(${p.streamId}, ${p.bufferRemaining}) grants more than the buffer (${k.bufferSize})`);
    }
    if (p.type !== PacketType.Close) continue;
    const c0 = cause && tryDecode(cause);
    const causeType = cause?.[0];
    const sameId = cause !== undefined && idOf(cause) === p.streamId;
    const why = `CLOSE(${p.streamId}, 0x${p.reason.toString(16)}) caused by ${cause ? hex(cause) : 'nothing'}`;
    if (p.streamId === 0) {
      if (p.reason === CloseReason.Voluntary && !cause) continue; // our close() at the end
      if (handshakeRefused && [CloseReason.InvalidInfo, CloseReason.IncompatibleExtensions, CloseReason.Throttled].includes(p.reason as 0x41)) continue;
      throw new Error(`unexplained ${why}`);
    }
    if (p.reason === CloseReason.InvalidInfo && sameId && causeType === PacketType.Connect) {
      hit(coverage, c0 instanceof WispError ? 'CONNECT unreadable' : 'CONNECT refused 0x41');
      continue; // reused id, unreadable, or UDP without the extension
    }
    if (p.reason === CloseReason.Throttled && sameId && (causeType === PacketType.Data || causeType === PacketType.Connect)) {
      hit(coverage, causeType === PacketType.Data ? 'throttled on credit' : 'refused at maxStreams');
      continue;
    }
    if (p.reason === CloseReason.HostBlocked && sameId && c0 && !(c0 instanceof WispError) && c0.type === PacketType.Connect && c0.hostname === 'blocked') {
      hit(coverage, 'handler refused');
      continue;
    }
    if (p.reason === CloseReason.Voluntary && everHosts.get(p.streamId)?.has('quit')) {
      hit(coverage, 'handler closed');
      continue;
    }
    throw new Error(`unexplained ${why}`);
  }

  // Post-handshake, each malformed message is reported once, in order, with its code.
  if (state.handshake === 'done' && k.handshake === 'honest') {
    let live = true;
    const expected: string[] = [];
    for (const b of hostile) {
      if (!live) break;
      const p = tryDecode(b);
      if (p instanceof WispError) expected.push(p.code);
      else if (p.type === PacketType.Close && p.streamId === 0) live = false;
    }
    const reported = errors.filter((e) => DECODE_CODES.has((e as WispError).code)).map((e) => (e as WispError).code);
    if (reported.join() !== expected.join()) throw new Error(`decode errors reported ${reported.join()} for ${expected.join()}`);
    hit(coverage, 'malformed reported', reported.length);
  }
  hit(coverage, 'cases');
  hit(coverage, `handshake ${state.handshake === 'done' ? 'done' : 'refused'}`);
  hit(coverage, 'streams opened', everHosts.size);
  hit(coverage, 'UnexpectedPacket', errors.filter((e) => (e as WispError).code === 'UnexpectedPacket').length);
  hit(coverage, 'ended by the client (CLOSE 0)', end()?.reason !== undefined && end()?.reason !== CloseReason.Voluntary ? 1 : 0);
  hit(coverage, 'CONTINUE grants', rec.out.filter(({ bytes }) => bytes[0] === PacketType.Continue && idOf(bytes) !== 0).length);
}

describe.each([
  ['v1', false],
  ['v2', true],
] as const)(`ServerMux (%s) under a hostile client (${CASES} cases)`, (_, v2) => {
  let honest: Honest;
  const coverage: Coverage = {};
  beforeAll(async () => {
    honest = await honestConnection(v2 ? 'wisp-v2' : '');
  });
  afterAll(async () => {
    honest.closing = true;
    await honest.client.close();
    expectNothingEscaped();
  });

  it('never crashes, reports only typed outcomes, bounds its queues, ends clean; the honest connection keeps echoing', async () => {
    await fc.assert(
      fc.asyncProperty(serverCaseArb(v2), async (k) => serverCase(v2, k, honest, coverage)),
      params(),
    );
    expect(honest.stream.closed).toBe(false);
    expectCovered(
      coverage,
      [
        'streams opened',
        'throttled on credit',
        'refused at maxStreams',
        'CONNECT refused 0x41',
        'CONNECT unreadable',
        'handler refused',
        'handler closed',
        'malformed reported',
        'UnexpectedPacket',
        'ended by the client (CLOSE 0)',
        'CONTINUE grants',
        ...(v2 ? ['slack used', 'handshake refused'] : []),
      ],
      `ServerMux ${v2 ? 'v2' : 'v1'} coverage`,
    );
  });
});

// ---------------------------------------------------------------------------------------
// Client properties
// ---------------------------------------------------------------------------------------

type AppAction =
  | { readonly kind: 'open'; readonly udp: boolean; readonly paused: boolean }
  | { readonly kind: 'write'; readonly stream: number; readonly size: number }
  | { readonly kind: 'close'; readonly stream: number; readonly reason: number }
  | { readonly kind: 'pause' | 'resume'; readonly stream: number };

const appArb: fc.Arbitrary<AppAction> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('open' as const), udp: fc.boolean(), paused: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), stream: fc.nat(3), size: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 100, max: 700 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), stream: fc.nat(3), reason: fc.integer({ min: 0, max: 0xff }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const), stream: fc.nat(3) }) },
);

interface ClientCase {
  readonly bufferSize: number;
  /** v2: the extensions the server lists, and how the handshake goes. */
  readonly extensions: readonly number[];
  readonly handshake: 'honest' | 'refused' | 'bad-version' | 'garbage';
  readonly steps: readonly { readonly app: readonly AppAction[]; readonly server: readonly Msg[] }[];
}

const clientCaseArb = (v2: boolean): fc.Arbitrary<ClientCase> =>
  fc.record({
    bufferSize: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 0xffffffff) }),
    extensions: v2 ? fc.subarray([0x01, 0x04, 0x05, 0x7f]) : fc.constant([]),
    handshake: fc.oneof({ weight: 12, arbitrary: fc.constant('honest' as const) }, { weight: 1, arbitrary: fc.constantFrom('refused' as const, 'bad-version' as const, 'garbage' as const) }),
    steps: fc.array(fc.record({ app: fc.array(appArb, { maxLength: 3 }), server: fc.array(toClientArb, { maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
  });

const MAX_QUEUED = 4;
const MAX_PAYLOAD = 256;

/**
 * The client's credit rules as a model, fed with what it sent and received in order: TCP
 * streams start with the handshake's buffer size; a CONTINUE replaces the credit, except the
 * first one of a stream when stream-open confirmation is in force, which may only lower it;
 * each DATA spends one.
 */
class CreditModel {
  private readonly credit = new Map<number, { value: number; confirmed: boolean; tcp: boolean }>();
  readonly violations: string[] = [];

  constructor(
    private readonly bufferSize: number,
    private readonly confirmation: boolean,
  ) {}

  sent(p: CorePacket): void {
    if (p.type === PacketType.Connect) this.credit.set(p.streamId, { value: this.bufferSize, confirmed: false, tcp: p.streamType === StreamType.Tcp });
    else if (p.type === PacketType.Close) this.credit.delete(p.streamId);
    else if (p.type === PacketType.Data) {
      const c = this.credit.get(p.streamId);
      if (!c) return this.violations.push(`DATA on stream ${p.streamId}, which is not open`) as unknown as void;
      if (c.tcp && c.value-- <= 0) this.violations.push(`DATA on stream ${p.streamId} without credit`);
    }
  }

  received(p: CorePacket): void {
    if (p.type === PacketType.Close) {
      if (p.streamId === 0) this.credit.clear();
      else this.credit.delete(p.streamId);
      return;
    }
    if (p.type !== PacketType.Continue || p.streamId === 0) return;
    const c = this.credit.get(p.streamId);
    if (!c) return;
    if (this.confirmation && !c.confirmed) {
      c.confirmed = true;
      if (c.tcp) c.value = Math.min(c.value, p.bufferRemaining);
    } else if (c.tcp) {
      c.value = p.bufferRemaining;
    }
  }
}

async function clientCase(v2: boolean, k: ClientCase, coverage: Coverage): Promise<void> {
  const protocol = v2 ? 'wisp-v2' : '';
  const time = virtualDelivery();
  const [c, s] = memoryTransportPair({ protocol, scheduler: time.scheduler });
  const violations: string[] = [];
  let client: ClientMux | undefined;
  let paused = false;
  const rec = record(c, () => {
    if (client && client.debugState().pausingStreams > 0) paused = true;
    for (const st of client?.debugState().streams ?? []) {
      if (st.queued > MAX_QUEUED + 1) violations.push(`stream ${st.id} holds ${st.queued} packets (maxQueuedPackets ${MAX_QUEUED})`);
      if (!(st.credit >= 0)) violations.push(`stream ${st.id} has credit ${st.credit}`);
    }
  });

  // The hostile server's handshake.
  const fromClient: Uint8Array[] = [];
  s.messages$.subscribe({ next: (m) => fromClient.push(messageBytes(m)), error: () => undefined });
  const records = k.extensions.map((id) => ({ id, metadata: id === 0x04 ? new TextEncoder().encode('motd') : new Uint8Array(0) }));
  if (k.handshake === 'garbage') s.send(Uint8Array.of(0x42, 0, 0));
  if (k.handshake === 'bad-version') s.send(encodeInfo(0, 3, 0, records));
  if (v2 && (k.handshake === 'honest' || k.handshake === 'refused')) s.send(encodeInfo(0, 2, 0, records));
  if (k.handshake === 'refused') s.send(encodeClose(0, CloseReason.AuthRequired));
  if (k.handshake === 'honest' && !v2) s.send(encodeContinue(0, k.bufferSize));
  const connecting = ClientMux.connect(rec.transport, {
    v2,
    maxQueuedPackets: MAX_QUEUED,
    maxPayload: MAX_PAYLOAD,
    handshakeTimeoutMs: 60_000,
    extensions: [udp(), motd(), streamConfirmation()],
  });
  if (v2 && k.handshake === 'honest') {
    await time.quiesce(); // the client's INFO is out
    s.send(encodeContinue(0, k.bufferSize));
  }
  let connectError: unknown;
  client = await deliverUntil(time, connecting, 'connect').catch((e: unknown) => ((connectError = e), undefined));
  if (!client) {
    hit(coverage, 'handshake refused');
    if (k.handshake === 'honest') throw new Error(`an honest handshake failed: ${String(connectError)}`);
    if (!(connectError instanceof WispError) || !END_CODES.has(connectError.code)) throw new Error(`connect failed with ${String(connectError)}`);
    await time.quiesce();
    expectNothingEscaped();
    return;
  }
  if (k.handshake !== 'honest') throw new Error(`a ${k.handshake} handshake succeeded`);
  const end = endOf(client);
  const errors: unknown[] = [];
  client.errors$.subscribe({ next: (e) => errors.push(e), error: failTest });
  const confirmation = client.extensionIds.includes(0x05);

  // The application.
  const streams: MuxStream[] = [];
  const writes: Promise<unknown>[] = [];
  const written = new Map<number, number[]>();
  let opened = 0;
  for (const step of k.steps) {
    for (const a of step.app) {
      const stream = streams[a.kind === 'open' ? 0 : a.stream % Math.max(1, streams.length)];
      if (a.kind === 'open') {
        const kind = a.udp ? 'udp' : 'tcp';
        const opening = client.open(kind, `app${opened++}.test`, 80);
        writes.push(
          opening.then(
            (st) => {
              streams.push(st);
              if (a.paused) st.pause(); // a slow reader
              st.data$.subscribe({ error: () => undefined });
            },
            (e: unknown) => {
              if (!(e instanceof WispError) || !['ExtensionsNotSupported', 'MuxClosed'].includes(e.code)) escaped.push(`open() failed with ${String(e)}`);
            },
          ),
        );
      } else if (!stream) {
        continue;
      } else if (a.kind === 'write') {
        const chunk = pattern(a.size, a.size + streams.indexOf(stream) + 1);
        if (!stream.closed && stream.kind === 'tcp') written.set(stream.id, [...(written.get(stream.id) ?? []), ...chunk]);
        writes.push(
          stream.write(chunk).catch((e: unknown) => {
            if (!(e instanceof WispError)) escaped.push(`write() failed with ${String(e)}`);
          }),
        );
      } else if (a.kind === 'close') {
        stream.close(a.reason);
      } else if (a.kind === 'pause') {
        stream.pause();
      } else {
        stream.resume();
      }
    }
    for (const m of step.server) for (const b of m.bytes) s.send(b);
    await time.quiesce();
  }
  expectNoStuckWrites(client.debugState(), 'the client'); // at quiescence: no delivery left
  hit(coverage, 'waiting for credit', client.debugState().streams.filter((st) => st.pendingWrites > 0 && st.credit === 0).length);
  for (const st of streams) st.resume();
  await time.quiesce();
  await deliverUntil(time, client.close(), 'client.close()');
  await deliverUntil(time, Promise.all(writes), 'every write and open to settle');
  await time.quiesce();

  // --- checks ------------------------------------------------------------------------------
  expectNothingEscaped();
  if (violations.length > 0) throw new Error(violations.join('\n'));
  expectTypedErrors(errors);
  expectTypedEnd(end());
  expectNothingLeft(client.debugState(), 'the client');

  // Credit, replayed from the wire in order; and DATA carries exactly what was written.
  const model = new CreditModel(k.bufferSize, confirmation);
  const sentData = new Map<number, number[]>();
  const udpIds = new Set<number>();
  for (const { dir, bytes } of rec.log) {
    const p = tryDecode(bytes);
    if (p instanceof WispError) {
      if (dir === 'out') throw new Error(`the client sent a malformed packet ${hex(bytes)}`);
      continue;
    }
    if (dir === 'out') {
      model.sent(p);
      if (p.type === PacketType.Connect && p.streamType === StreamType.Udp) udpIds.add(p.streamId);
      if (p.type === PacketType.Data && written.has(p.streamId)) sentData.set(p.streamId, [...(sentData.get(p.streamId) ?? []), ...p.payload]);
      if (p.type === PacketType.Data && !udpIds.has(p.streamId) && p.payload.length > MAX_PAYLOAD) throw new Error(`DATA of ${p.payload.length} bytes > maxPayload`);
    } else {
      model.received(p);
    }
  }
  if (model.violations.length > 0) throw new Error(model.violations.join('\n'));
  hit(coverage, 'cases');
  hit(coverage, 'streams opened', streams.length);
  hit(coverage, 'transport paused by a full inbox', paused ? 1 : 0);
  hit(coverage, 'malformed reported', errors.filter((e) => DECODE_CODES.has((e as WispError).code)).length);
  hit(coverage, 'UnexpectedPacket', errors.filter((e) => (e as WispError).code === 'UnexpectedPacket').length);
  hit(coverage, 'ended by the server (CLOSE 0)', end()?.reason !== undefined && end()?.reason !== CloseReason.Voluntary ? 1 : 0);
  hit(coverage, 'DATA sent', sentData.size);
  for (const [id, bytes] of sentData) {
    const w = written.get(id)!;
    if (bytes.length > w.length || bytes.some((b, i) => b !== w[i])) throw new Error(`stream ${id} sent bytes that were not written, or out of order`);
  }
}

describe.each([
  ['v1', false],
  ['v2', true],
] as const)(`ClientMux (%s) under a hostile server (${CASES} cases)`, (_, v2) => {
  it('never crashes, reports only typed outcomes, respects credit, bounds its queues, ends clean', async () => {
    const coverage: Coverage = {};
    await fc.assert(
      fc.asyncProperty(clientCaseArb(v2), async (k) => clientCase(v2, k, coverage)),
      params(),
    );
    expectCovered(
      coverage,
      ['streams opened', 'DATA sent', 'waiting for credit', 'transport paused by a full inbox', 'malformed reported', 'UnexpectedPacket', 'ended by the server (CLOSE 0)', 'handshake refused'],
      `ClientMux ${v2 ? 'v2' : 'v1'} coverage`,
    );
  });
});
