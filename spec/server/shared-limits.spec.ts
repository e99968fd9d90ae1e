/** Connection limits shared across cluster workers (IPC) and across gateways (Redis on 127.0.0.1). */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { ConnectionLimiter } from '../../lib/server/client-limits';
import { redisCounter, servePrimaryCounter, workerCounter, type CounterMessage } from '../../lib/server/shared-limits';
import { within } from '../mux/helpers';
import { startRedis, type RedisServer } from '../support/redis';

/** An IPC pair as cluster gives it: the worker's `process` and the primary's `Worker`. */
function ipcPair() {
  const toWorker = new EventEmitter();
  const toPrimary = new EventEmitter();
  // Delivery on a later turn, as real IPC is.
  const post = (target: EventEmitter, message: CounterMessage) => setImmediate(() => target.emit('message', message));
  return {
    worker: { send: (m: CounterMessage) => post(toPrimary, m), on: toWorker.on.bind(toWorker), off: toWorker.off.bind(toWorker) },
    primarySide: { send: (m: CounterMessage) => post(toWorker, m), on: toPrimary.on.bind(toPrimary) },
  };
}

describe('workerCounter / servePrimaryCounter', () => {
  it('holds one limit across workers, frees slots on release, and drops a dead worker’s slots', async () => {
    const limiter = new ConnectionLimiter({ maxPerClient: 2 });
    const a = ipcPair();
    const b = ipcPair();
    const dropA = servePrimaryCounter(limiter, a.primarySide);
    servePrimaryCounter(limiter, b.primarySide);
    const workerA = workerCounter(a.worker);
    const workerB = workerCounter(b.worker);
    const first = await workerA.acquire('198.51.100.7');
    const second = await workerA.acquire('198.51.100.7');
    expect(first && second).toBeTruthy();
    expect(await workerB.acquire('198.51.100.7')).toBeUndefined();
    expect(await workerB.acquire('198.51.100.8')).toBeDefined(); // another client is not affected
    first!();
    first!(); // twice is once
    await within(waitFor(() => limiter.count('198.51.100.7') === 1), 5000, 'the release');
    expect(await workerB.acquire('198.51.100.7')).toBeDefined();
    dropA(); // worker A exited holding `second`
    expect(limiter.count('198.51.100.7')).toBe(1);
    await workerA.close();
    await workerB.close();
  });
});

describe('redisCounter', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(
      clients.map(async (client) => {
        if (client.status === 'ready') await client.quit();
        else if (client.status !== 'end') client.disconnect();
      }),
    );
    await redis.stop();
  });
  const connect = (): Redis => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: false });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };

  it('two gateways share one limit; a release frees a slot for the other', async () => {
    const one = redisCounter(connect(), { maxPerClient: 2, prefix: 't1:' });
    const two = redisCounter(connect(), { maxPerClient: 2, prefix: 't1:' });
    const slots = [await one.acquire('203.0.113.5'), await two.acquire('203.0.113.5')];
    expect(slots.every(Boolean)).toBe(true);
    expect(await one.acquire('203.0.113.5')).toBeUndefined();
    expect(await two.acquire('203.0.113.5')).toBeUndefined();
    slots[0]!();
    await within(waitForAsync(async () => (await two.acquire('203.0.113.5')) !== undefined), 5000, 'the freed slot');
    await one.close();
    await two.close();
  });

  it('a gateway that dies without releasing loses its leases after leaseMs', async () => {
    const dying = connect();
    const crashed = redisCounter(dying, { maxPerClient: 1, prefix: 't2:', leaseMs: 300 });
    expect(await crashed.acquire('203.0.113.6')).toBeDefined();
    dying.disconnect(); // no more renewals, no release
    const survivor = redisCounter(connect(), { maxPerClient: 1, prefix: 't2:', leaseMs: 300 });
    expect(await survivor.acquire('203.0.113.6')).toBeUndefined();
    await within(waitForAsync(async () => (await survivor.acquire('203.0.113.6')) !== undefined), 5000, 'the lease to lapse');
    await survivor.close();
    await crashed.close();
  });

  it('fails open while Redis cannot be reached', async () => {
    const nowhere = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    nowhere.on('error', () => undefined);
    clients.push(nowhere);
    const counter = redisCounter(nowhere, { maxPerClient: 1 });
    expect(await counter.acquire('203.0.113.7')).toBeDefined();
    expect(await counter.acquire('203.0.113.7')).toBeDefined();
    await counter.close();
  });
});

function waitFor(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (condition() ? resolve() : void setImmediate(check));
    check();
  });
}

async function waitForAsync(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}
