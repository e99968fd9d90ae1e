/**
 * `wisp-rx forward --udp`: a local UDP socket where each distinct source address:port is
 * one flow, carried by one UDP stream; replies go back to that source. Idle flows expire.
 * @module
 */
import * as dgram from 'node:dgram';
import { CloseReason, closeReasonName } from '../wisp/packet/close-reason.js';
import type { MuxStream } from '../stream/mux-stream.js';
import type { Logger } from '../server/logger.js';
import { describeError } from './client-options.js';
import type { ReconnectingClientMux } from '../client/reconnecting-client-mux.js';
import { formatHostPort, type HostPort } from './values.js';

/** Datagrams a flow holds while its stream opens, or in flight to the transport; past this, new ones are dropped. */
const MAX_PENDING = 64;

/** Options of {@link forwardUdp}. */
export interface UdpForwardOptions {
  readonly listen: HostPort;
  readonly target: HostPort;
  readonly mux: ReconnectingClientMux;
  readonly logger: Logger;
  /** How long a new flow waits for the connection while disconnected. */
  readonly waitMs: number;
  /** A flow without a datagram either way for this long is closed. */
  readonly idleMs: number;
}

interface Flow {
  readonly label: string;
  stream?: MuxStream;
  /** Datagrams received before the stream opened. */
  readonly early: Buffer[];
  /** Datagrams handed to the stream and not yet sent. */
  inFlight: number;
  timer?: ReturnType<typeof setTimeout>;
  done: boolean;
  /** Bytes relayed each way, for the close log line. */
  up: number;
  down: number;
}

/** Binds `listen` and relays flows; resolves with the bound socket. */
export async function forwardUdp(options: UdpForwardOptions): Promise<dgram.Socket> {
  const { listen, target, mux, logger, waitMs, idleMs } = options;
  const socket = dgram.createSocket(listen.host.includes(':') ? 'udp6' : 'udp4');
  const flows = new Map<string, Flow>();

  const end = (key: string, flow: Flow): void => {
    flow.done = true;
    clearTimeout(flow.timer);
    if (flows.get(key) === flow) flows.delete(key);
  };
  const touch = (key: string, flow: Flow): void => {
    clearTimeout(flow.timer);
    flow.timer = setTimeout(() => {
      logger.debug(`${flow.label} idle, closing`);
      flow.stream?.close(CloseReason.Voluntary);
      end(key, flow);
    }, idleMs);
  };
  const send = (flow: Flow, datagram: Buffer): void => {
    if (flow.inFlight >= MAX_PENDING) return; // UDP may drop; the transport is not keeping up
    flow.inFlight++;
    flow.up += datagram.length;
    flow.stream!.send(datagram, () => flow.inFlight--);
  };
  const start = (key: string, source: dgram.RemoteInfo): Flow => {
    const flow: Flow = { label: `flow ${formatHostPort({ host: source.address, port: source.port })}`, early: [], inFlight: 0, done: false, up: 0, down: 0 };
    flows.set(key, flow);
    mux.open('udp', target.host, target.port, waitMs).then(
      (stream) => {
        if (flow.done) return stream.close(CloseReason.Voluntary);
        flow.stream = stream;
        logger.debug(`${flow.label} open as stream ${stream.id}`);
        for (const datagram of flow.early.splice(0)) send(flow, datagram);
        // eslint-disable-next-line rxjs-x/no-ignored-subscription -- data$ ends with the stream
        stream.data$.subscribe({
          next: (datagram) => {
            touch(key, flow);
            flow.down += datagram.length;
            socket.send(datagram, source.port, source.address);
          },
          error: () => undefined, // the connection dropped: closed$ reports it
        });
        // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
        stream.closed$.subscribe({
          next: (reason) => {
            const line = `${flow.label} closed: ${closeReasonName(reason)}, ${flow.up} bytes up, ${flow.down} bytes down`;
            if (reason === CloseReason.Voluntary) logger.debug(line);
            else logger.info(line);
            end(key, flow);
          },
          error: () => end(key, flow),
        });
      },
      (error: unknown) => {
        logger.warn(`${flow.label} refused: ${describeError(error)}`);
        end(key, flow);
      },
    );
    return flow;
  };

  socket.on('message', (datagram, source) => {
    const key = formatHostPort({ host: source.address, port: source.port });
    const flow = flows.get(key) ?? start(key, source);
    touch(key, flow);
    if (flow.stream) send(flow, datagram);
    else if (flow.early.length < MAX_PENDING) flow.early.push(datagram);
  });
  socket.on('error', (error) => logger.warn(`udp socket: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(listen.port, listen.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}
