/**
 * The gateway's stats line: printed every `--stats-interval` seconds and on SIGUSR2.
 * Stats lines are asked for explicitly, so they are written whatever the log level.
 * @module
 */
import type { GatewayStats } from '../server/gateway.js';

/**
 * One stats line, e.g. `stats connections=2 (total 5) streams=3 (total 40) bytes_up=1024
 * bytes_down=65536 event_loop_lag_ms=1.2/8.4 waiting_turns=0 heap_mib=9.8` (lag: 99th
 * percentile / worst since the previous line; heap summed over workers).
 */
export function formatStats(s: GatewayStats): string {
  return (
    `stats connections=${s.connections} (total ${s.connectionsTotal}) streams=${s.streams} (total ${s.streamsTotal}) bytes_up=${s.bytesUp} bytes_down=${s.bytesDown}` +
    ` event_loop_lag_ms=${s.eventLoopLagP99Ms}/${s.eventLoopLagMaxMs} waiting_turns=${s.waitingTurns} heap_mib=${(s.heapUsed / 2 ** 20).toFixed(1)}`
  );
}

/** Field-by-field sum (one gateway per worker); event-loop lag is the worst worker's. */
export function sumStats(list: readonly GatewayStats[]): GatewayStats {
  const zero: GatewayStats = { connections: 0, connectionsTotal: 0, streams: 0, streamsTotal: 0, bytesUp: 0, bytesDown: 0, eventLoopLagP99Ms: 0, eventLoopLagMaxMs: 0, waitingTurns: 0, heapUsed: 0 };
  return list.reduce(
    (a, b) => ({
      connections: a.connections + b.connections,
      connectionsTotal: a.connectionsTotal + b.connectionsTotal,
      streams: a.streams + b.streams,
      streamsTotal: a.streamsTotal + b.streamsTotal,
      bytesUp: a.bytesUp + b.bytesUp,
      bytesDown: a.bytesDown + b.bytesDown,
      eventLoopLagP99Ms: Math.max(a.eventLoopLagP99Ms, b.eventLoopLagP99Ms),
      eventLoopLagMaxMs: Math.max(a.eventLoopLagMaxMs, b.eventLoopLagMaxMs),
      waitingTurns: a.waitingTurns + b.waitingTurns,
      heapUsed: a.heapUsed + b.heapUsed,
    }),
    zero,
  );
}

/** Writes a timestamped stats line to stderr. */
export function printStats(stats: GatewayStats, prefix = ''): void {
  process.stderr.write(`${new Date().toISOString()} ${prefix}${formatStats(stats)}\n`);
}

/**
 * Calls `report` every `intervalS` seconds (0: never) and on SIGUSR2. Returns a function
 * that stops both.
 */
export function scheduleStats(intervalS: number, report: () => void): () => void {
  const timer = intervalS > 0 ? setInterval(report, intervalS * 1000) : undefined;
  process.on('SIGUSR2', report);
  return () => {
    if (timer) clearInterval(timer);
    process.off('SIGUSR2', report);
  };
}
