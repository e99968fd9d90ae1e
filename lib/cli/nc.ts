/**
 * `wisp-rx nc`: stdin → one stream → stdout through a Wisp server, binary-safe. With
 * `--udp`, each stdin line is one datagram.
 * @module
 */
import { finished } from 'node:stream';
import { firstValueFrom } from 'rxjs';
import { ClientMux } from '../mux/client-mux.js';
import type { MuxStream } from '../mux/stream.js';
import { CloseReason, closeReasonName } from '../packet/close-reason.js';
import { CliError, UsageError } from './cli-error.js';
import { NC_FLAGS, describeConnectError, describeError, resolveClientSettings } from './client-options.js';
import { parseFlags } from './flags.js';
import { ncHelp } from './help.js';
import { parseInteger } from './values.js';

/** Largest UDP datagram a stdin line becomes; longer lines are sent in pieces. */
const MAX_DATAGRAM = 0xffff;
/** Datagrams waiting for the transport before stdin is paused. */
const MAX_PENDING = 64;

/**
 * Runs `wisp-rx nc`; resolves with exit code 0 once the stream closed normally.
 * @throws UsageError for bad arguments; CliError (exit 1) when the connection fails or the
 *   stream is refused or fails, with the close reason in the message.
 */
export async function nc(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, NC_FLAGS, 'nc');
  if (flags.has('help')) return process.stdout.write(ncHelp()), 0;
  const [host, portText, ...extra] = flags.positionals;
  if (host === undefined || portText === undefined || extra.length > 0) throw new UsageError('expected HOST PORT (see wisp-rx nc --help)');
  const port = parseInteger(portText, 'PORT', 1, 65535);
  const client = resolveClientSettings(flags);
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
  const closeEof = flags.has('close-on-eof');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stream.close(CloseReason.Voluntary));
  const reason = kind === 'udp' ? await relayLines(stream, closeEof) : await relayBytes(stream, closeEof);
  await mux.close();
  if (reason !== CloseReason.Voluntary) throw new CliError(`stream closed: ${closeReasonName(reason)}`);
  return 0;
}

/** TCP: stdin and stdout piped through the stream with backpressure; resolves with the close reason once stdout has everything. */
async function relayBytes(stream: MuxStream, closeOnEof: boolean): Promise<number> {
  const duplex = stream.toDuplex();
  duplex.on('error', () => undefined); // the close reason tells what happened
  process.stdin.pipe(duplex, { end: closeOnEof });
  duplex.pipe(process.stdout);
  const drained = new Promise<void>((resolve) => finished(duplex, { writable: false }, () => resolve()));
  const reason = await firstValueFrom(stream.closed$);
  await drained;
  process.stdin.unpipe(duplex);
  return reason;
}

/**
 * UDP: each stdin line (with its newline) is one datagram; each datagram received goes to
 * stdout. Reading stdin pauses while many datagrams wait for the transport.
 */
async function relayLines(stream: MuxStream, closeOnEof: boolean): Promise<number> {
  stream.data$.subscribe({ next: (datagram) => process.stdout.write(datagram), error: () => undefined });
  let rest: Buffer = Buffer.alloc(0);
  let pending = 0;
  let ended = false;
  const sent = (): void => {
    pending--;
    if (pending < MAX_PENDING / 2) process.stdin.resume();
    if (ended && pending === 0 && closeOnEof) stream.close(CloseReason.Voluntary);
  };
  const send = (bytes: Buffer): void => {
    for (let at = 0; at < bytes.length; at += MAX_DATAGRAM) {
      pending++;
      stream.send(bytes.subarray(at, at + MAX_DATAGRAM), sent);
    }
    if (pending >= MAX_PENDING) process.stdin.pause();
  };
  process.stdin.on('data', (chunk: Buffer) => {
    let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10)) {
      send(data.subarray(0, nl + 1));
      data = data.subarray(nl + 1);
    }
    rest = data;
  });
  process.stdin.on('end', () => {
    ended = true;
    if (rest.length > 0) send(rest);
    if (pending === 0 && closeOnEof) stream.close(CloseReason.Voluntary);
  });
  return firstValueFrom(stream.closed$);
}
