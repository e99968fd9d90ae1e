/**
 * `wisp-rx serve` in one process: start the gateway, print where it listens, stats lines,
 * and a graceful stop on SIGINT/SIGTERM. Workers (`--workers N`) reuse the pieces.
 * @module
 */
import { createGateway, type Gateway } from '../server/gateway.js';
import { createLogger, type Logger } from '../server/logger.js';
import type { ServeSettings } from './serve-settings.js';
import { printStats, scheduleStats } from './stats.js';

/** After the grace period: how long close handshakes, and then flushes to targets, may each take. */
const CLOSE_DEADLINE_MS = 2000;
/** How long after those a stuck shutdown is cut short with `process.exit`. */
const BACKSTOP_MS = 2000;

/** A logger whose messages start with `prefix`. */
export function prefixLogger(logger: Logger, prefix: string): Logger {
  return {
    level: logger.level,
    error: (m) => logger.error(prefix + m),
    warn: (m) => logger.warn(prefix + m),
    info: (m) => logger.info(prefix + m),
    debug: (m) => logger.debug(prefix + m),
  };
}

/** Starts the gateway and logs (at debug) what it enforces, never a credential. */
export async function startGateway(settings: ServeSettings, logger: Logger): Promise<Gateway> {
  const gateway = await createGateway({ ...settings.gateway, logger });
  const { passwords, publicKeys, authRequired, policy } = settings.gateway;
  const users = passwords ? Object.keys(passwords).length : 0;
  const keys = publicKeys?.length ?? 0;
  logger.debug(`auth: ${users} user(s), ${keys} key(s)${users + keys > 0 ? (authRequired === false ? ', optional' : ', required') : ''}`);
  logger.debug(`policy: ${JSON.stringify(policy ?? {})}`);
  return gateway;
}

/**
 * On SIGINT or SIGTERM (or `also`, e.g. the cluster primary going away): the gateway's
 * graceful stop (`Gateway.close`: streams run on for up to `graceMs`, then CLOSE(0,
 * Voluntary), close frames, flushes to targets, each within 2 s), then exit 0.
 * `process.exit` is forced shortly after that if closing hangs.
 */
export function stopOnSignals(gateway: Gateway, graceMs: number, logger: Logger, onStop?: () => void): (why: string) => void {
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    onStop?.();
    logger.info(`${why}: closing ${gateway.stats().connections} connection(s)`);
    setTimeout(() => process.exit(0), graceMs + 2 * CLOSE_DEADLINE_MS + BACKSTOP_MS).unref();
    void gateway.close({ graceMs, deadlineMs: CLOSE_DEADLINE_MS }).then((report) => {
      const { bytesUp, bytesDown } = gateway.stats();
      logger.info(
        `stopped: ${report.closedCleanly}/${report.connections} connection(s) closed with a close frame, ${report.terminated} terminated, ` +
          `${report.targetsCut} target socket(s) cut while flushing; bytes_up=${bytesUp} bytes_down=${bytesDown}`,
      );
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return stop;
}

/** SIGHUP re-reads the TLS certificate and key (after a renewal); a bad pair keeps the old one. */
export function reloadOnHangup(gateway: Gateway, logger: Logger): void {
  process.on('SIGHUP', () => {
    try {
      gateway.reloadTls();
      logger.info('SIGHUP: TLS certificate reloaded');
    } catch (error) {
      logger.error(`SIGHUP: TLS certificate not reloaded, the old one stays: ${(error as Error).message}`);
    }
  });
}

/** Logs where the metrics endpoint listens, when it has a listener of its own. */
export function announceMetrics(gateway: Gateway, logger: Logger): void {
  const address = gateway.metricsServer?.address();
  if (!address || typeof address === 'string') return;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info(`metrics on http://${host}:${address.port}/ (status page; /metrics, /stats.json)`);
}

/** Runs `wisp-rx serve` in this process; prints `listening on URL` on stdout once ready. */
export async function serve(settings: ServeSettings): Promise<void> {
  const logger = createLogger(settings.logLevel);
  const gateway = await startGateway(settings, logger);
  const stopStats = scheduleStats(settings.statsIntervalS, () => {
    printStats(gateway.stats());
    gateway.resetEventLoopLag();
  });
  stopOnSignals(gateway, settings.shutdownGraceMs, logger, stopStats);
  reloadOnHangup(gateway, logger);
  announceMetrics(gateway, logger);
  process.stdout.write(`listening on ${gateway.url}\n`);
}
