/**
 * A tunnel end's counters, for the stats line (`--stats-interval`, SIGUSR2): tunnel
 * connections (sessions) and streams, open and in total, and the bytes the local and target
 * sockets carried (live sockets counted as they go, closed ones kept).
 * @packageDocumentation
 */
import type * as net from 'node:net';

/** A snapshot of {@link TunnelStats}. */
export interface TunnelStatsSnapshot {
  readonly sessions: number;
  readonly sessionsTotal: number;
  readonly streams: number;
  readonly streamsTotal: number;
  /** Bytes read from local and target sockets (what went into the tunnel from this end). */
  readonly bytesIn: number;
  /** Bytes written to them (what came out of the tunnel at this end). */
  readonly bytesOut: number;
}

export class TunnelStats {
  private sessions = 0;
  private sessionsTotal = 0;
  private streamsTotal = 0;
  private closedIn = 0;
  private closedOut = 0;
  private readonly live = new Set<net.Socket>();

  /** A tunnel connection is up; returns the function that counts it down. */
  session(): () => void {
    this.sessions++;
    this.sessionsTotal++;
    let counted = true;
    return () => {
      if (counted) this.sessions--;
      counted = false;
    };
  }

  /** A stream is relayed to or from `socket`. */
  socket(socket: net.Socket): void {
    this.streamsTotal++;
    this.live.add(socket);
    socket.once('close', () => {
      this.live.delete(socket);
      this.closedIn += socket.bytesRead;
      this.closedOut += socket.bytesWritten;
    });
  }

  snapshot(): TunnelStatsSnapshot {
    let bytesIn = this.closedIn;
    let bytesOut = this.closedOut;
    for (const socket of this.live) {
      bytesIn += socket.bytesRead;
      bytesOut += socket.bytesWritten;
    }
    return { sessions: this.sessions, sessionsTotal: this.sessionsTotal, streams: this.live.size, streamsTotal: this.streamsTotal, bytesIn, bytesOut };
  }
}

/** One stats line, e.g. `stats sessions=1 (total 2) streams=3 (total 40) bytes_in=1024 bytes_out=65536 heap_mib=9.8`. */
export function formatTunnelStats(s: TunnelStatsSnapshot, heapUsed: number): string {
  return `stats sessions=${s.sessions} (total ${s.sessionsTotal}) streams=${s.streams} (total ${s.streamsTotal}) bytes_in=${s.bytesIn} bytes_out=${s.bytesOut} heap_mib=${(heapUsed / 2 ** 20).toFixed(1)}`;
}
