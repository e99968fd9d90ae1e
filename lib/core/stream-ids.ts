import { WispError } from '../errors.js';
import type { StreamIdRule } from './protocol.js';

/**
 * Hands out the ids of streams this side opens: `first`, then every `step`-th one up to
 * `max`, wrapping around and skipping ids still in use (Wisp reuses ids; smux and yamux keep
 * to their parity, so `step` is 2 there).
 */
export class StreamIds {
  private nextId: number;

  constructor(private readonly rule: StreamIdRule) {
    this.nextId = rule.first;
  }

  /** The next free id; throws `MaxStreamCountReached` when every id is in use. */
  next(live: ReadonlyMap<number, unknown>): number {
    const { first, step, max } = this.rule;
    const span = Math.floor((max - first) / step) + 1;
    if (live.size < span) {
      for (let tries = 0; tries < span; tries++) {
        const id = this.nextId;
        this.nextId = id + step > max ? first : id + step;
        if (!live.has(id)) return id;
      }
    }
    throw new WispError('MaxStreamCountReached', 'every stream id is in use');
  }
}
