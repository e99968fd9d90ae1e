/**
 * `wisp-rx forward`: a local TCP (or, with `--udp`, UDP) port forwarded through a Wisp
 * server over one shared, reconnecting connection.
 * @module
 */
import type * as dgram from 'node:dgram';
import type * as net from 'node:net';
import { ReconnectingClientMux, type ReconnectState } from '../client/reconnecting-client-mux.js';
import { ClientMux } from '../wisp/client-mux.js';
import { createLogger, type Logger } from '../server/logger.js';
import { CliError, UsageError } from './cli-error.js';
import { FORWARD_FLAGS, describeConnectError, describeError, resolveClientSettings } from './client-options.js';
import { parseFlags } from './flags.js';
import { forwardTcp } from './forward-tcp.js';
import { forwardUdp } from './forward-udp.js';
import { forwardHelp } from './help.js';
import { MAX_TIMER_MS, formatHostPort, parseHostPort, parseInteger, parseLogLevel } from './values.js';

/**
 * Runs `wisp-rx forward`; resolves once listening (printing `listening on HOST:PORT`), or
 * with an exit code when there is nothing to run (`--help`).
 * @throws UsageError for bad flags; CliError when the local address cannot be bound or the
 *   first connection to the server fails.
 */
export async function forward(argv: readonly string[]): Promise<number | undefined> {
  const flags = parseFlags(argv, FORWARD_FLAGS, 'forward');
  if (flags.has('help')) return process.stdout.write(forwardHelp()), 0;
  if (flags.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(flags.positionals[0])}`);
  const client = resolveClientSettings(flags);
  const listenText = flags.string('listen');
  const toText = flags.string('to');
  if (listenText === undefined) throw new UsageError('--listen HOST:PORT is required');
  if (toText === undefined) throw new UsageError('--to HOST:PORT is required');
  const listen = parseHostPort(listenText, '--listen', 0);
  const target = parseHostPort(toText, '--to');
  const waitMs = parseInteger(flags.string('reconnect-wait') ?? '10000', '--reconnect-wait', 0, MAX_TIMER_MS);
  const idleMs = parseInteger(flags.string('udp-idle') ?? '60000', '--udp-idle', 1, MAX_TIMER_MS);
  const logger = createLogger(parseLogLevel(flags.string('log-level') ?? 'info', '--log-level'));

  const mux = new ReconnectingClientMux({ connect: () => ClientMux.connect(client.url, client.options), waitMs });
  // Bind first: a taken port is reported before anything connects to the server. Connections
  // accepted before the first connection is up wait for it like those during a reconnect.
  const common = { listen, target, mux, logger, waitMs };
  let local: net.Server | dgram.Socket;
  try {
    local = flags.has('udp') ? await forwardUdp({ ...common, idleMs }) : await forwardTcp(common);
  } catch (error) {
    throw new CliError(`cannot listen on ${formatHostPort(listen)}: ${describeError(error)}`);
  }
  try {
    const first = await mux.start();
    logger.info(`connected to ${client.url} (Wisp v${first.version.major}${first.downgraded ? ', server is v1' : ''})`);
  } catch (error) {
    local.close();
    throw new CliError(`cannot connect to ${client.url}: ${describeConnectError(error, client.url)}`);
  }
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- lives as long as the process
  mux.state$.subscribe({ next: (state) => logState(logger, state), error: () => undefined /* state$ never fails */ });
  const address = local.address();
  const bound = address === null || typeof address === 'string' ? String(address) : formatHostPort({ host: address.address, port: address.port });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping`);
    local.close();
    void mux.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.stdout.write(`listening on ${bound}${flags.has('udp') ? ' (udp)' : ''}\n`);
  return undefined;
}

/** One log line per reconnect step (the first connection is logged by {@link forward}). */
function logState(logger: Logger, state: ReconnectState): void {
  switch (state.state) {
    case 'backoff':
      if (state.attempt === 1) logger.warn(`connection lost (${describeError(state.error)}); reconnecting in ${state.delayMs} ms`);
      else logger.warn(`reconnect failed (${describeError(state.error)}); next try in ${state.delayMs} ms`);
      return;
    case 'connected':
      if (state.reconnected) logger.info('reconnected');
      return;
    default:
      return;
  }
}
