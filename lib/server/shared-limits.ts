/**
 * Per-client connection limits that hold across processes. One gateway process counts in
 * memory (`ConnectionLimiter`); `--workers N` counts in the cluster primary, which every
 * worker asks over IPC; several machines count in Redis, as leases that expire when a
 * gateway dies without releasing them.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConnectionLimiter } from './client-limits.js';

/** Takes and gives back connection slots per client address. */
export interface ConnectionCounter {
  /** A slot for `client`: resolves with the function giving it back, or undefined at the limit. */
  acquire(client: string): Promise<(() => void) | undefined>;
  /** Stops timers and releases what this process holds. */
  close(): Promise<void>;
}

/** In this process only. */
export function localCounter(maxPerClient: number): ConnectionCounter {
  const limiter = new ConnectionLimiter({ maxPerClient });
  return { acquire: (client) => Promise.resolve(limiter.acquire(client)), close: () => Promise.resolve() };
}

// ---- across cluster workers -----------------------------------------------------------

/** IPC messages between a worker's counter and the primary's. */
export type CounterMessage =
  | { readonly wisprx: 'acquire'; readonly id: number; readonly client: string }
  | { readonly wisprx: 'release'; readonly client: string }
  | { readonly wisprx: 'granted'; readonly id: number; readonly ok: boolean };

/** The IPC channel a worker talks over (`process` in a cluster worker). */
export interface IpcChannel {
  send(message: CounterMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

function isCounterMessage(message: unknown): message is CounterMessage {
  return typeof message === 'object' && message !== null && typeof (message as { wisprx?: unknown }).wisprx === 'string';
}

/** A worker's counter: asks the primary (see {@link servePrimaryCounter}). */
export function workerCounter(channel: IpcChannel): ConnectionCounter {
  let nextId = 1;
  const waiting = new Map<number, (ok: boolean) => void>();
  const onMessage = (message: unknown): void => {
    if (!isCounterMessage(message) || message.wisprx !== 'granted') return;
    waiting.get(message.id)?.(message.ok);
    waiting.delete(message.id);
  };
  channel.on('message', onMessage);
  return {
    acquire: (client) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, (ok) => resolve(ok ? once(() => void channel.send({ wisprx: 'release', client })) : undefined));
        channel.send({ wisprx: 'acquire', id, client });
      }),
    close: () => {
      channel.off('message', onMessage);
      for (const answer of waiting.values()) answer(false);
      waiting.clear();
      return Promise.resolve();
    },
  };
}

/** A worker as the primary sees it (`cluster.Worker`). */
export interface WorkerChannel {
  send(message: CounterMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * The primary's side: one limiter for all workers. Call it for each worker; the returned
 * function drops that worker's slots (call it when the worker exits).
 */
export function servePrimaryCounter(limiter: ConnectionLimiter, worker: WorkerChannel): () => void {
  // Slots this worker holds, per client (a release names the client, not the slot).
  const held = new Map<string, (() => void)[]>();
  worker.on('message', (message) => {
    if (!isCounterMessage(message)) return;
    if (message.wisprx === 'acquire') {
      const release = limiter.acquire(message.client);
      if (release) held.set(message.client, [...(held.get(message.client) ?? []), release]);
      worker.send({ wisprx: 'granted', id: message.id, ok: release !== undefined });
    } else if (message.wisprx === 'release') {
      const slots = held.get(message.client);
      slots?.pop()?.();
      if (slots?.length === 0) held.delete(message.client);
    }
  });
  return () => {
    for (const slots of held.values()) for (const release of slots) release();
    held.clear();
  };
}

// ---- across machines --------------------------------------------------------------------

/** Options of {@link redisCounter}. */
export interface RedisCounterOptions {
  readonly maxPerClient: number;
  /** Key prefix shared by the gateways that share limits. Default `wisp-rx:`. */
  readonly prefix?: string;
  /** A lease not renewed for this long is dropped (a gateway that died). Default 30,000 ms. */
  readonly leaseMs?: number;
}

/**
 * Atomically: drop expired leases, and add ours unless the client is at the limit.
 * KEYS[1] the client's lease set; ARGV: now, expiry, max, lease id.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`;

/**
 * Leases in Redis: each open connection is a member of the client's sorted set, scored by its
 * expiry, renewed while the connection lives. A gateway that dies stops renewing, and its
 * leases lapse after `leaseMs`. Redis being unreachable fails open (the local count still
 * applies through the gateway's own limits): an outage of the limiter must not take the
 * gateway down with it.
 */
export function redisCounter(redis: Redis, options: RedisCounterOptions): ConnectionCounter {
  const prefix = options.prefix ?? 'wisp-rx:';
  const leaseMs = options.leaseMs ?? 30_000;
  const held = new Map<string, string>(); // lease id → key
  const renew = setInterval(() => {
    const expiry = Date.now() + leaseMs;
    for (const [lease, key] of held) {
      redis.zadd(key, 'XX', expiry, lease).catch(() => undefined);
      redis.pexpireat(key, expiry).catch(() => undefined);
    }
  }, Math.max(100, Math.floor(leaseMs / 3)));
  renew.unref();
  return {
    async acquire(client) {
      const key = `${prefix}conn:${client}`;
      const lease = randomUUID();
      const now = Date.now();
      let ok: unknown;
      try {
        ok = await redis.eval(ACQUIRE, 1, key, now, now + leaseMs, options.maxPerClient, lease);
      } catch {
        return once(() => undefined); // fail open
      }
      if (ok !== 1) return undefined;
      held.set(lease, key);
      return once(() => {
        held.delete(lease);
        redis.zrem(key, lease).catch(() => undefined);
      });
    },
    async close() {
      clearInterval(renew);
      await Promise.all([...held].map(([lease, key]) => redis.zrem(key, lease).catch(() => undefined)));
      held.clear();
    },
  };
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}
