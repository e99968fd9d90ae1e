/**
 * `wisp-rx nc`: stdin → one stream → stdout through a Wisp server, binary-safe. With
 * `--udp`, each stdin line is one datagram.
 *
 * Wisp has no half-close, so the end of stdin cannot be passed on: like netcat, nc keeps
 * reading until the remote closes, or (`-q SECS`) until nothing has arrived for SECS after
 * stdin was sent, or (`-w SECS`) until nothing has moved either way for SECS.
 * @module
 */
import { ClientMux } from '../wisp/client-mux.js';
import type { MuxStream } from '../stream/mux-stream.js';
import { CloseReason, closeReasonName } from '../wisp/packet/close-reason.js';
import { CliError, UsageError } from './cli-error.js';
import { NC_FLAGS, describeConnectError, describeError, resolveClientSettings } from './client-options.js';
import { parseFlags, type ParsedFlags } from './flags.js';
import { ncHelp } from './help.js';
import { MAX_TIMER_MS, parseInteger } from './values.js';

/** Largest UDP datagram a stdin line becomes; longer lines are sent in pieces. */
const MAX_DATAGRAM = 0xffff;
/** Bytes handed to the stream and not yet sent before stdin is paused. */
const MAX_PENDING_BYTES = 1024 * 1024;

/**
 * Runs `wisp-rx nc`; resolves with exit code 0 once the stream closed normally (by the
 * remote, a timeout or a signal) and everything read from stdin was sent.
 * @throws UsageError for bad arguments; CliError (exit 1) when the connection fails, the
 *   stream is refused or fails (the close reason is in the message), or stdin data was lost.
 */
export async function nc(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, NC_FLAGS, 'nc');
  if (flags.has('help')) return process.stdout.write(ncHelp()), 0;
  const [host, portText, ...extra] = flags.positionals;
  if (host === undefined || portText === undefined || extra.length > 0) throw new UsageError('expected HOST PORT (see wisp-rx nc --help)');
  const port = parseInteger(portText, 'PORT', 1, 65535);
  const client = resolveClientSettings(flags);
  const timers = resolveTimers(flags);
  const kind = flags.has('udp') ? 'udp' : 'tcp';

  let mux: ClientMux;
  try {
    mux = await ClientMux.connect(client.url, client.options);
  } catch (error) {
    throw new CliError(`cannot connect to ${client.url}: ${describeConnectError(error, client.url)}`);
  }
  let stream: MuxStream;
  try {
    stream = await mux.open(kind, host, port);
  } catch (error) {
    await mux.close();
    throw new CliError(`cannot open the stream: ${describeError(error)}`);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stream.close(CloseReason.Voluntary));
  const result = await relay(stream, kind === 'udp', timers);
  await mux.close();
  if (!result.closedByUs && result.reason !== CloseReason.Voluntary) throw new CliError(`stream closed: ${closeReasonName(result.reason)}`);
  if (result.unsentBytes > 0) throw new CliError(`stream closed before ${result.unsentBytes} bytes of stdin were sent`);
  return 0;
}

interface Timers {
  /** `-q`: seconds without data after stdin was sent; undefined = wait for the remote. */
  readonly quitAfterEofMs?: number;
  /** `-w`: seconds without data either way. */
  readonly idleMs?: number;
}

function resolveTimers(flags: ParsedFlags): Timers {
  const seconds = (name: string, min: number): number | undefined => {
    const text = flags.string(name);
    return text === undefined ? undefined : parseInteger(text, `--${name}`, min, Math.floor(MAX_TIMER_MS / 1000)) * 1000;
  };
  const quit = seconds('quit-after-eof', 0) ?? (flags.has('close-on-eof') ? 1000 : undefined);
  const idle = seconds('idle-timeout', 1);
  return { ...(quit !== undefined && { quitAfterEofMs: quit }), ...(idle !== undefined && { idleMs: idle }) };
}

interface RelayResult {
  readonly reason: number;
  /** True when nc closed the stream (timer or signal), not the remote. */
  readonly closedByUs: boolean;
  /** Bytes read from stdin that the stream refused (it closed first). */
  readonly unsentBytes: number;
}

/**
 * Relays stdin → stream → stdout with backpressure both ways (stdin pauses while a MiB
 * waits to be sent; the stream pauses while stdout is full) until the stream closes;
 * resolves once stdout has everything that was received.
 */
function relay(stream: MuxStream, lines: boolean, timers: Timers): Promise<RelayResult> {
  let pendingBytes = 0;
  let unsentBytes = 0;
  let stdinEnded = false;
  let closedByUs = false;
  let quitTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const closeNow = (): void => {
    closedByUs = !stream.closed;
    stream.close(CloseReason.Voluntary);
  };
  // Restarted by every chunk either way; -q only runs once stdin is over and sent.
  const activity = (): void => {
    if (timers.idleMs !== undefined) {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(closeNow, timers.idleMs);
    }
    if (timers.quitAfterEofMs !== undefined && stdinEnded && pendingBytes === 0) {
      clearTimeout(quitTimer);
      quitTimer = setTimeout(closeNow, timers.quitAfterEofMs);
    }
  };
  const sent = (bytes: number) => (error?: Error): void => {
    pendingBytes -= bytes;
    if (error) unsentBytes += bytes;
    if (pendingBytes < MAX_PENDING_BYTES / 2) process.stdin.resume();
    activity();
  };
  const send = (bytes: Buffer): void => {
    pendingBytes += bytes.length;
    stream.send(bytes, sent(bytes.length));
  };
  let rest: Buffer = Buffer.alloc(0);
  const onStdin = (chunk: Buffer): void => {
    if (stream.closed) return void (unsentBytes += chunk.length);
    if (!lines) send(chunk);
    else {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10)) {
        sendDatagram(data.subarray(0, nl + 1));
        data = data.subarray(nl + 1);
      }
      rest = data;
    }
    if (pendingBytes >= MAX_PENDING_BYTES) process.stdin.pause();
    activity();
  };
  const sendDatagram = (datagram: Buffer): void => {
    for (let at = 0; at < datagram.length; at += MAX_DATAGRAM) send(datagram.subarray(at, at + MAX_DATAGRAM));
  };
  const onStdinEnd = (): void => {
    if (lines && rest.length > 0 && !stream.closed) sendDatagram(rest);
    stdinEnded = true;
    activity();
  };
  process.stdin.on('data', onStdin).on('end', onStdinEnd).on('error', onStdinEnd);
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- data$ ends with the stream
  stream.data$.subscribe({
    next: (chunk) => {
      if (!process.stdout.write(chunk)) {
        stream.pause();
        process.stdout.once('drain', () => stream.resume());
      }
      activity();
    },
    error: () => undefined, // the connection dropped: closed$ says so
  });
  activity();
  return new Promise((resolve) => {
    const finish = (reason: number): void => {
      clearTimeout(quitTimer);
      clearTimeout(idleTimer);
      process.stdin.off('data', onStdin).off('end', onStdinEnd).off('error', onStdinEnd).pause();
      // Exit only once stdout has taken everything (it may be a pipe still draining).
      process.stdout.write('', () => resolve({ reason, closedByUs, unsentBytes: unsentBytes + pendingBytes }));
    };
    // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
    stream.closed$.subscribe({ next: finish, error: () => finish(CloseReason.NetworkError) });
  });
}
