/**
 * The attack soak (`npm run soak`): each flood against a spawned `wisp-rx serve`, with a
 * well-behaved client echoing on its own connection meanwhile. Prints, per flood, the
 * gateway's heap before, during (worst stats line) and after, the well-behaved client's worst
 * round trip, and what the abusive client got. SOAK_FLOOD_SECONDS (default 10) sets each
 * flood's length. Loopback only; waits are on events and output lines with deadlines.
 */
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { password } from '../../lib/wisp/extensions/index';
import { Cli, cleanAll, startServe } from '../cli/helpers';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { LatencyProbe, echoTarget } from '../server/attack-helpers';

const SECONDS = Number(process.env.SOAK_FLOOD_SECONDS ?? 10);

// eslint-disable-next-line @typescript-eslint/no-require-imports
beforeAll(() => (require('../global-setup.js') as () => Promise<void>)(), 120_000); // the spawned CLI runs dist/

afterEach(cleanAll);

/** Heap samples from the gateway's stats lines (SIGUSR2 every 200 ms while sampling). */
class HeapSampler {
  private timer: ReturnType<typeof setInterval> | undefined;
  constructor(private readonly cli: Cli) {}

  /** Asks for one stats line and resolves with its heap, MiB. */
  async now(): Promise<number> {
    const seen = this.lines().length;
    this.cli.child.kill('SIGUSR2');
    const deadline = Date.now() + 5000;
    while (this.lines().length <= seen) {
      if (Date.now() > deadline) throw new Error(`no stats line\n${this.cli.output}`);
      await new Promise((r) => setImmediate(r));
    }
    return this.lines().at(-1)!;
  }

  start(): void {
    this.timer = setInterval(() => this.cli.child.kill('SIGUSR2'), 200);
  }

  /** Stops sampling; the worst heap seen since `from` lines. */
  stop(from: number): number {
    clearInterval(this.timer);
    return Math.max(...this.lines().slice(from));
  }

  lines(): number[] {
    return [...this.cli.stderr.matchAll(/heap_mib=([\d.]+)/g)].map((m) => Number(m[1]));
  }
}

interface Row {
  flood: string;
  before: number;
  during: number;
  after: number;
  worstRtt: number;
  abusive: string;
}
const rows: Row[] = [];

afterAll(() => {
  const table = rows.map((r) => `| ${r.flood} | ${r.before.toFixed(1)} | ${r.during.toFixed(1)} | ${r.after.toFixed(1)} | ${r.worstRtt.toFixed(1)} | ${r.abusive} |`);
  process.stdout.write(['', '| flood | heap before MiB | worst during | after | worst echo RTT ms | abusive client got |', '|---|---|---|---|---|---|', ...table, ''].join('\n'));
});

/** Runs `flood` for SECONDS with a latency probe and heap sampling; records a row. */
async function measure(flood: string, args: string[], run: (url: string) => Promise<string>): Promise<Row> {
  const echo = await echoTarget();
  try {
    const { cli, url } = await startServe(['--allow-loopback', '--port-deny', '9', '--log-level', 'warn', '--max-connections-per-client', '64', ...args]);
    const heap = new HeapSampler(cli);
    const probe = await LatencyProbe.start(url, echo.port);
    const before = await heap.now();
    const from = heap.lines().length;
    heap.start();
    probe.reset();
    const abusive = await run(url);
    const during = heap.stop(from);
    const worstRtt = probe.worst;
    await probe.stop();
    const after = await heap.now();
    const row = { flood, before, during, after, worstRtt, abusive: `${abusive}; gateway log: ${summarise(cli.stderr)}` };
    rows.push(row);
    return row;
  } finally {
    await echo.close();
  }
}

function summarise(stderr: string): string {
  const throttled = (stderr.match(/closed \(Throttled \(0x49\)\)/g) ?? []).length;
  const locked = (stderr.match(/locked out for/g) ?? []).length;
  return `${throttled} connection(s) closed Throttled, ${locked} lockout(s)`;
}


/** Runs the abusive client (attack-client.js) in its own process; resolves with its JSON line. */
async function abusive(mode: string, url: string, port = 9): Promise<string> {
  const client = spawn(process.execPath, [path.join(__dirname, 'attack-client.js'), mode, url, String(SECONDS), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  client.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(client, 'close')) as [number];
  if (code !== 0) throw new Error(`attack client ${mode} exited ${code}: ${out}`);
  return out.trim();
}

describe('attack soak', () => {
  it('refused-CONNECT flood, never reading', async () => {
    const row = await measure('refused CONNECTs, not read', ['--output-stall-timeout', String(Math.min(2000, SECONDS * 200))], (url) => abusive('connect-noread', url));
    expect(row.during - row.before).toBeLessThan(64);
  }, SECONDS * 1000 + 60_000);

  it('refused-CONNECT flood, reading every reply', async () => {
    const row = await measure('refused CONNECTs, read', [], (url) => abusive('connect-read', url));
    expect(row.during - row.before).toBeLessThan(64);
  }, SECONDS * 1000 + 90_000);

  it('stream burst: 32 connections × 256 streams opened and closed', async () => {
    await measure('32 × 256 stream churn', (process.env.SOAK_CHURN_ARGS ?? '').split(' ').filter(Boolean), (url) => abusive('churn', url));
  }, SECONDS * 1000 + 60_000);

  it('password guessing from one address; another address still logs in', async () => {
    let elsewhere = '';
    await measure('password guessing', ['--user', 'alice:secret', '--no-auth-required', '--trusted-proxy', '127.0.0.1'], async (url) => {
      const result = await abusive('guess', url);
      const mux = await ClientMux.connect(url, {
        connector: (u, p) => connectWs(u, p, { headers: { 'x-forwarded-for': '203.0.113.10' } }),
        extensions: [password({ username: 'alice', password: 'secret' })],
      });
      await mux.close();
      elsewhere = 'ok';
      return `${result}; another address then logged in: ${elsewhere}`;
    });
    expect(elsewhere).toBe('ok');
  }, SECONDS * 1000 + 60_000);
});
