/**
 * `wisp-rx forward`: a local TCP (or, with `--udp`, UDP) port forwarded through a Wisp
 * server over one shared, reconnecting connection.
 * @module
 */
import { ClientMux } from '../mux/client-mux.js';
import { createLogger } from '../server/logger.js';
import { CliError, UsageError } from './cli-error.js';
import { FORWARD_FLAGS, describeError, resolveClientSettings } from './client-options.js';
import { parseFlags } from './flags.js';
import { forwardTcp } from './forward-tcp.js';
import { forwardUdp } from './forward-udp.js';
import { forwardHelp } from './help.js';
import { ReconnectingMux } from './reconnecting-mux.js';
import { MAX_TIMER_MS, formatHostPort, parseHostPort, parseInteger, parseLogLevel } from './values.js';

/**
 * Runs `wisp-rx forward`; resolves once listening (printing `listening on HOST:PORT`), or
 * with an exit code when there is nothing to run (`--help`).
 * @throws UsageError for bad flags; CliError when the first connection to the server fails.
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

  const mux = new ReconnectingMux({ connect: () => ClientMux.connect(client.url, client.options), logger });
  try {
    const first = await mux.start();
    logger.info(`connected to ${client.url} (Wisp v${first.version.major}${first.downgraded ? ', server is v1' : ''})`);
  } catch (error) {
    throw new CliError(`cannot connect to ${client.url}: ${describeError(error)}`);
  }
  const common = { listen, target, mux, logger, waitMs };
  const local = flags.has('udp') ? await forwardUdp({ ...common, idleMs }) : await forwardTcp(common);
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
