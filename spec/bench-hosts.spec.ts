/**
 * The bench's per-role knobs (bench/lib/child.js, host.js): BENCH_<LABEL>_NODE_FLAGS and
 * BENCH_<LABEL>_BALLAST_MIB reach the hosts of that role and no other. The GC study of
 * docs/architecture.md ("Major GCs in the receiving process") rests on them.
 */
interface Host {
  call(method: string, args?: object): Promise<unknown>;
  close(): Promise<{ exitedByItself: boolean }>;
}
interface Settings {
  readonly label: string;
  readonly execArgv: string[];
  readonly ballastObjects: number;
}
interface Heap {
  readonly heapUsed: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { spawnHost } = require('../bench/lib/child') as { spawnHost: (label: string) => Host };

const KNOBS = ['BENCH_HOST_FLAGS', 'BENCH_CLIENT_NODE_FLAGS', 'BENCH_CLIENT_BALLAST_MIB'] as const;

describe('bench hosts', () => {
  const saved = KNOBS.map((name) => process.env[name]);
  afterEach(() => KNOBS.forEach((name, i) => (saved[i] === undefined ? delete process.env[name] : (process.env[name] = saved[i]))));

  it("give one role's hosts its node flags and ballast, and the other roles nothing", async () => {
    delete process.env.BENCH_HOST_FLAGS; // flags for every host (none here)
    process.env.BENCH_CLIENT_NODE_FLAGS = '--no-warnings  --stack-size=900';
    process.env.BENCH_CLIENT_BALLAST_MIB = '3';
    const client = spawnHost('client');
    const server = spawnHost('server');
    try {
      const c = (await client.call('settings')) as Settings;
      const s = (await server.call('settings')) as Settings;
      expect(c).toEqual({ label: 'client', execArgv: ['--expose-gc', '--no-warnings', '--stack-size=900'], ballastObjects: 3 * 16384 });
      expect(s).toEqual({ label: 'server', execArgv: ['--expose-gc'], ballastObjects: 0 });
      // The ballast is live: it survives full collections (~3 MiB more heap than a bare host).
      const heapC = (await client.call('heap')) as Heap;
      const heapS = (await server.call('heap')) as Heap;
      expect(heapC.heapUsed - heapS.heapUsed).toBeGreaterThan(2.5 * 1024 * 1024);
    } finally {
      await Promise.all([client.close(), server.close()]);
    }
  }, 30_000);
});
