/**
 * One worker of `wisp-rx serve --workers N`: a gateway on the shared port that reports to
 * the primary (ready, stats) and stops on SIGINT/SIGTERM or when the primary goes away.
 * @module
 */
import { createLogger } from '../server/logger.js';
import { workerCounter, type IpcChannel } from '../server/shared-limits.js';
import { prefixLogger, reloadOnHangup, startGateway, stopOnSignals } from './serve.js';
import type { ServeSettings } from './serve-settings.js';
import { printStats } from './stats.js';
import { isMessage, type ReadyMessage, type StatsReply, type StatsRequest } from './worker-messages.js';

/** Runs this process as worker `slot`. */
export async function runWorker(settings: ServeSettings, slot: string): Promise<void> {
  const logger = prefixLogger(createLogger(settings.logLevel), `worker ${slot}: `);
  // Limits hold across workers: connections are counted by the primary, failed logins in
  // its rate-limiter store (unless --redis shares both with other machines).
  const shared = settings.gateway.redis === undefined ? { connectionCounter: workerCounter(process as unknown as IpcChannel), authStore: 'cluster' as const } : {};
  const gateway = await startGateway({ ...settings, gateway: { ...settings.gateway, ...shared } }, logger);
  const stop = stopOnSignals(gateway, settings.shutdownGraceMs, logger);
  process.on('disconnect', () => stop('primary gone'));
  reloadOnHangup(gateway, logger);
  process.on('SIGUSR2', () => printStats(gateway.stats(), `worker ${slot}: `));
  // The primary's stats rounds print the lag since the previous round.
  process.on('message', (message) => {
    if (!isMessage<StatsRequest>(message, 'wisp-rx:stats?')) return;
    const reply: StatsReply = { type: 'wisp-rx:stats', id: message.id, stats: gateway.stats() };
    gateway.resetEventLoopLag();
    process.send?.(reply);
  });
  const ready: ReadyMessage = { type: 'wisp-rx:ready', url: gateway.url };
  process.send?.(ready);
}
