/**
 * `wisp-rx tunnel server|client`: TCP over one multiplexed connection (smux), see
 * {@link tunnelHelp}. The machinery is lib/tunnel; this reads the flags and runs it.
 * @module
 */
import { isWispError } from '../errors.js';
import { createLogger } from '../server/logger.js';
import { startTunnelClient, startTunnelServer, type Address, type TunnelEnd } from '../tunnel/endpoints.js';
import { tunnelProtocol } from '../tunnel/registry.js';
import { formatTunnelStats } from '../tunnel/stats.js';
import { scheduleStats } from './stats.js';
import { CliError, UsageError } from './cli-error.js';
import { describeError } from './client-options.js';
import { parseFlags, type ParsedFlags } from './flags.js';
import { tunnelFlags, tunnelHelp } from './tunnel-options.js';
import { MAX_TIMER_MS, formatHostPort, parseHostPort, parseInteger, parseLogLevel } from './values.js';

/** Runs `wisp-rx tunnel`; resolves once ready (printing `listening on HOST:PORT`), or with an exit code. */
export async function tunnel(argv: readonly string[]): Promise<number | undefined> {
  const flags = parseFlags(argv, tunnelFlags(), 'tunnel');
  if (flags.has('help')) return process.stdout.write(tunnelHelp()), 0;
  const [mode, extra] = flags.positionals;
  if (mode !== 'server' && mode !== 'client') throw new UsageError('expected "tunnel server" or "tunnel client" (see wisp-rx tunnel --help)');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  const session = configure(flags);
  const log = createLogger(parseLogLevel(flags.string('log-level') ?? 'info', '--log-level'));
  const address = (name: string, minPort = 1): Address | undefined => {
    const text = flags.string(name);
    return text === undefined ? undefined : parseHostPort(text, `--${name}`, minPort);
  };
  const statsIntervalS = parseInteger(flags.string('stats-interval') ?? '0', '--stats-interval', 0, 86_400);
  const listen = address('listen', 0);
  const to = address('to');
  let end: TunnelEnd;
  let ready: string;
  if (mode === 'server') {
    if (!listen) throw new UsageError('tunnel server: --listen HOST:PORT is required');
    if (flags.has('server')) throw new UsageError('tunnel server: --server is for the client');
    const expose = address('expose', 0);
    if (!to && !expose) throw new UsageError('tunnel server: --to HOST:PORT or --expose HOST:PORT is required');
    end = await start(() => startTunnelServer({ listen, to, expose, session, log }), `cannot listen on ${formatHostPort(listen)}`);
    ready = formatHostPort(end.tunnel!);
    if (end.local) log.info(`exposing ${formatHostPort(end.local)}`);
  } else {
    const server = address('server');
    if (!server) throw new UsageError('tunnel client: --server HOST:PORT is required');
    if (flags.has('expose')) throw new UsageError('tunnel client: --expose is for the server');
    if (!listen && !to) throw new UsageError('tunnel client: --listen HOST:PORT or --to HOST:PORT is required');
    const waitMs = parseInteger(flags.string('reconnect-wait') ?? '10000', '--reconnect-wait', 0, MAX_TIMER_MS);
    const connectTimeoutMs = parseInteger(flags.string('connect-timeout') ?? '10000', '--connect-timeout', 1, MAX_TIMER_MS);
    end = await start(() => startTunnelClient({ server, listen, to, session, log, waitMs, connectTimeoutMs }), `cannot start`);
    ready = formatHostPort(end.local ?? server);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    void end.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  const tunnelEnd = end;
  const stopStats = scheduleStats(statsIntervalS, () => {
    process.stderr.write(`${new Date().toISOString()} ${formatTunnelStats(tunnelEnd.stats(), process.memoryUsage().heapUsed)}\n`);
  });
  process.once('exit', stopStats);
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.stdout.write(`listening on ${ready}\n`);
  return undefined;
}

/** The protocol's session factory from its flags; bad values are usage errors. */
function configure(flags: ParsedFlags): ReturnType<ReturnType<typeof tunnelProtocol>['configure']> {
  try {
    const protocol = tunnelProtocol(flags.string('protocol') ?? 'smux');
    const own = new Set(protocol.options.map((o) => o.name));
    for (const name of tunnelFlags().filter((f) => f.group === 'Protocol options').map((f) => f.name)) {
      if (flags.has(name) && !own.has(name)) throw new UsageError(`--${name} is not an option of --protocol ${protocol.name}`);
    }
    return protocol.configure((name) => flags.string(name));
  } catch (error) {
    if (isWispError(error, 'InvalidArgument')) throw new UsageError(error.message);
    throw error;
  }
}

async function start(run: () => Promise<TunnelEnd>, what: string): Promise<TunnelEnd> {
  try {
    return await run();
  } catch (error) {
    throw new CliError(`${what}: ${describeError(error)}`);
  }
}
