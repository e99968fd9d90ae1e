/** Messages between the `serve --workers N` primary and its workers (over the cluster IPC channel). */
import type { GatewayStats } from '../server/gateway.js';

/** Environment variable marking a process forked as a wisp-rx worker; its value is the slot number. */
export const WORKER_ENV = 'WISP_RX_WORKER_SLOT';

/** Worker → primary: listening at `url`. */
export interface ReadyMessage {
  readonly type: 'wisp-rx:ready';
  readonly url: string;
}

/** Primary → worker: send your stats, tagged `id`. */
export interface StatsRequest {
  readonly type: 'wisp-rx:stats?';
  readonly id: number;
}

/** Worker → primary: the answer to a {@link StatsRequest}. */
export interface StatsReply {
  readonly type: 'wisp-rx:stats';
  readonly id: number;
  readonly stats: GatewayStats;
}

/** True when `message` is an object whose `type` is `type`. */
export function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
