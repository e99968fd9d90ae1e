/**
 * What the status page shows beyond the current counters: throughput over the last minutes
 * (one sample per interval, in a fixed ring) and the most recent refusals. Both are bounded,
 * whatever the traffic.
 * @module
 */

/** One throughput sample: bytes per second each way over the interval that ended at `t`. */
export interface ThroughputSample {
  /** Epoch ms. */
  readonly t: number;
  readonly up: number;
  readonly down: number;
}

/** One refused stream. */
export interface Refusal {
  readonly t: number;
  readonly target: string;
  readonly reason: string;
}

/** Options of {@link StatusHistory}. */
export interface StatusHistoryOptions {
  /** Samples kept (default 60: five minutes at one per 5 s). */
  readonly samples?: number;
  /** Refusals kept (default 20). */
  readonly refusals?: number;
  /** The clock, in ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** Bounded rings of throughput samples and refusals. */
export class StatusHistory {
  private readonly samples: ThroughputSample[] = [];
  private readonly refusals: Refusal[] = [];
  private readonly maxSamples: number;
  private readonly maxRefusals: number;
  private readonly now: () => number;
  private last: { t: number; up: number; down: number } | undefined;

  constructor(options: StatusHistoryOptions = {}) {
    this.maxSamples = options.samples ?? 60;
    this.maxRefusals = options.refusals ?? 20;
    this.now = options.now ?? Date.now;
  }

  /** Records the byte totals now; from the second call on, adds a rate sample. */
  sample(totals: { readonly bytesUp: number; readonly bytesDown: number }): void {
    const t = this.now();
    const last = this.last;
    this.last = { t, up: totals.bytesUp, down: totals.bytesDown };
    if (!last || t <= last.t) return;
    const seconds = (t - last.t) / 1000;
    push(this.samples, { t, up: (totals.bytesUp - last.up) / seconds, down: (totals.bytesDown - last.down) / seconds }, this.maxSamples);
  }

  refused(target: string, reason: string): void {
    push(this.refusals, { t: this.now(), target, reason }, this.maxRefusals);
  }

  /** Oldest first. */
  throughput(): readonly ThroughputSample[] {
    return [...this.samples];
  }

  /** Newest first. */
  recentRefusals(): readonly Refusal[] {
    return [...this.refusals].reverse();
  }
}

function push<T>(ring: T[], item: T, max: number): void {
  ring.push(item);
  if (ring.length > max) ring.splice(0, ring.length - max);
}
