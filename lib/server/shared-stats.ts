/**
 * Stats summed over every gateway sharing a Redis: each publishes its own counters under a
 * key that expires unless renewed (a gateway that dies drops out of the sum), and reads
 * everyone's when asked. Fails soft: without Redis the sum is just this gateway's.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The counters that are summed. */
export interface SummedStats {
  readonly connections: number;
  readonly streams: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

const FIELDS = ['connections', 'streams', 'bytesUp', 'bytesDown'] as const;

/** Publishes this gateway's stats every `everyMs` and sums all gateways' on request. */
export class SharedStats {
  private readonly key: string;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly redis: Redis,
    private readonly own: () => SummedStats,
    private readonly prefix = 'wisp-rx:',
    private readonly everyMs = 5000,
  ) {
    this.key = `${prefix}stats:${randomUUID()}`;
    this.timer = setInterval(() => void this.publish(), everyMs);
    this.timer.unref();
    void this.publish();
  }

  /** Writes this gateway's counters now (they expire after three missed rounds). */
  async publish(): Promise<void> {
    const stats = this.own();
    await this.redis
      .multi()
      .hset(this.key, Object.fromEntries(FIELDS.map((f) => [f, String(stats[f])])))
      .pexpire(this.key, this.everyMs * 3)
      .exec()
      .catch(() => undefined);
  }

  /** Every live gateway's counters summed, and how many gateways that is. */
  async sum(): Promise<SummedStats & { readonly gateways: number }> {
    const total = { connections: 0, streams: 0, bytesUp: 0, bytesDown: 0, gateways: 0 };
    try {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}stats:*`, 'COUNT', 100);
        cursor = next;
        for (const key of keys) {
          const values = await this.redis.hmget(key, ...FIELDS);
          if (values.every((v) => v === null)) continue;
          total.gateways++;
          FIELDS.forEach((field, i) => (total[field] += Number(values[i] ?? 0)));
        }
      } while (cursor !== '0');
    } catch {
      return { ...this.own(), gateways: 1 };
    }
    return total;
  }

  /** Stops publishing and removes this gateway's entry. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(this.key).catch(() => undefined);
  }
}
