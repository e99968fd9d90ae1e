/**
 * `wisp-rx forward` over TCP: every local connection becomes one stream on the shared
 * connection, piped both ways with backpressure.
 * @module
 */
import * as net from 'node:net';
import { pipeline } from 'node:stream';
import { CloseReason, closeReasonName } from '../wisp/packet/close-reason.js';
import type { Logger } from '../server/logger.js';
import { describeError } from './client-options.js';
import type { ReconnectingClientMux } from '../client/reconnecting-client-mux.js';
import type { HostPort } from './values.js';

/** Options of {@link forwardTcp}. */
export interface TcpForwardOptions {
  readonly listen: HostPort;
  readonly target: HostPort;
  readonly mux: ReconnectingClientMux;
  readonly logger: Logger;
  /** How long a connection accepted while disconnected waits for the reconnect. */
  readonly waitMs: number;
}

/**
 * Listens on `listen`; resolves with the listening server. A stream the server refuses or
 * that fails resets the local connection; a normal close ends it.
 */
export async function forwardTcp({ listen, target, mux, logger, waitMs }: TcpForwardOptions): Promise<net.Server> {
  let next = 1;
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    const label = `#${next++} ${socket.remoteAddress}:${socket.remotePort}`;
    socket.on('error', () => undefined); // reported through pipeline once it runs
    mux.open('tcp', target.host, target.port, waitMs).then(
      (stream) => {
        if (socket.destroyed) return stream.close(CloseReason.Voluntary);
        logger.debug(`${label} open as stream ${stream.id}`);
        // Byte counts of the local socket: what went up the stream and what came down it.
        const counts = (): string => `${socket.bytesRead} bytes up, ${socket.bytesWritten} bytes down`;
        // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
        stream.closed$.subscribe({
          next: (reason) => {
            if (reason === CloseReason.Voluntary) return logger.debug(`${label} closed: ${closeReasonName(reason)}, ${counts()}`);
            logger.info(`${label} closed: ${closeReasonName(reason)}, ${counts()}`);
            socket.resetAndDestroy();
          },
          error: () => socket.resetAndDestroy(),
        });
        const duplex = stream.toDuplex();
        pipeline(socket, duplex, socket, () => undefined);
      },
      (error: unknown) => {
        logger.warn(`${label} refused: ${describeError(error)}`);
        socket.resetAndDestroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
