/**
 * The primary of `wisp-rx serve --workers N`: forks N workers sharing the port (node:cluster),
 * prints `listening on URL` once all are ready, restarts a worker that dies unexpectedly
 * (backoff 100 ms doubling to 10 s, reset after 10 s of life), sums their stats, and on
 * SIGINT/SIGTERM forwards SIGTERM and exits once every worker has exited.
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import type { GatewayStats } from '../server/gateway.js';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { ConnectionLimiter } from '../server/client-limits.js';
import { createLogger } from '../server/logger.js';
import { servePrimaryCounter } from '../server/shared-limits.js';
import type { ServeSettings } from './serve-settings.js';
import { printStats, scheduleStats, sumStats } from './stats.js';
import { WORKER_ENV, isMessage, type ReadyMessage, type StatsReply, type StatsRequest } from './worker-messages.js';

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A worker that lived this long crashed for a new reason: restart it quickly again. */
const STABLE_MS = 10_000;
/** How long the primary waits for workers' stats before printing what it has. */
const STATS_WAIT_MS = 1000;
/** Past the workers' grace period, stragglers are killed after this. */
const BACKSTOP_MS = 4000;

interface Slot {
  readonly slot: number;
  worker?: Worker | undefined;
  everReady: boolean;
  startedAt: number;
  backoffMs: number;
  restart?: ReturnType<typeof setTimeout> | undefined;
}

interface StatsRound {
  readonly expected: number;
  readonly got: GatewayStats[];
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Runs this process as the primary of `settings.workers` workers. */
export function runPrimary(settings: ServeSettings): void {
  const logger = createLogger(settings.logLevel);
  const slots: Slot[] = Array.from({ length: settings.workers }, (_, i) => ({ slot: i + 1, everReady: false, startedAt: 0, backoffMs: RESTART_MIN_MS }));
  const rounds = new Map<number, StatsRound>();
  let nextRound = 1;
  let announced = false;
  let stopping = false;
  const live = (): Worker[] => slots.flatMap((s) => (s.worker ? [s.worker] : []));
  // Per-client limits for all workers live here (see worker.ts), unless Redis holds them.
  const limits = settings.gateway.redis === undefined ? new ConnectionLimiter({ maxPerClient: settings.gateway.maxConnectionsPerClient ?? 32 }) : undefined;
  if (limits) new RateLimiterClusterMaster();
  process.on('SIGHUP', () => {
    for (const worker of live()) worker.process.kill('SIGHUP'); // each reloads its TLS files
  });

  const finishRound = (id: number): void => {
    const round = rounds.get(id);
    if (!round) return;
    rounds.delete(id);
    clearTimeout(round.timer);
    printStats(sumStats(round.got), `workers=${round.got.length}/${round.expected} `);
  };
  const requestStats = (): void => {
    const workers = live();
    const id = nextRound++;
    rounds.set(id, { expected: workers.length, got: [], timer: setTimeout(() => finishRound(id), STATS_WAIT_MS) });
    const request: StatsRequest = { type: 'wisp-rx:stats?', id };
    for (const worker of workers) worker.send(request);
    if (workers.length === 0) finishRound(id);
  };
  const stopStats = scheduleStats(settings.statsIntervalS, requestStats);

  const fork = (s: Slot): void => {
    s.restart = undefined;
    s.startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_ENV]: String(s.slot) });
    s.worker = worker;
    logger.info(`worker ${s.slot} started (pid ${worker.process.pid})`);
    worker.on('error', (error) => logger.debug(`worker ${s.slot}: ${error.message}`));
    worker.on('message', (message: unknown) => {
      if (isMessage<ReadyMessage>(message, 'wisp-rx:ready')) {
        s.everReady = true;
        if (!announced && slots.every((x) => x.everReady)) {
          announced = true;
          logger.info(`${slots.length} workers ready`);
          process.stdout.write(`listening on ${message.url}\n`);
        }
      } else if (isMessage<StatsReply>(message, 'wisp-rx:stats')) {
        const round = rounds.get(message.id);
        round?.got.push(message.stats);
        if (round && round.got.length === round.expected) finishRound(message.id);
      }
    });
    const dropSlots = limits ? servePrimaryCounter(limits, worker) : undefined;
    worker.on('exit', (code, signal) => {
      dropSlots?.(); // a dead worker's connections are gone with it
      exited(s, signal ? `signal ${signal}` : `code ${code}`);
    });
  };

  const exited = (s: Slot, how: string): void => {
    s.worker = undefined;
    if (stopping) {
      logger.debug(`worker ${s.slot} exited (${how})`);
      if (live().length === 0) process.exit();
      return;
    }
    if (!s.everReady) {
      logger.error(`worker ${s.slot} failed to start (${how})`);
      process.exitCode = 1;
      return stop('startup failed');
    }
    if (Date.now() - s.startedAt >= STABLE_MS) s.backoffMs = RESTART_MIN_MS;
    logger.warn(`worker ${s.slot} exited unexpectedly (${how}); restarting in ${s.backoffMs} ms`);
    s.restart = setTimeout(() => fork(s), s.backoffMs);
    s.backoffMs = Math.min(2 * s.backoffMs, RESTART_MAX_MS);
  };

  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    stopStats();
    logger.info(`${why}: stopping ${live().length} worker(s)`);
    for (const s of slots) clearTimeout(s.restart);
    for (const worker of live()) worker.process.kill('SIGTERM');
    if (live().length === 0) process.exit();
    setTimeout(() => {
      for (const worker of live()) worker.process.kill('SIGKILL');
      process.exit();
    }, settings.shutdownGraceMs + BACKSTOP_MS).unref();
  };

  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  for (const s of slots) fork(s);
}
