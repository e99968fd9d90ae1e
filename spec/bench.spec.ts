/**
 * The bench harness itself, in its smoke mode: it runs, isolates each implementation in its
 * own process, writes the JSON it promises and exits by itself. No assertion is about speed
 * (that is what `npm run bench` reports); only that every figure is there and makes sense.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

interface Result {
  readonly values?: Record<string, number>;
  readonly skipped?: string;
  readonly error?: string;
}
interface Report {
  readonly quick: boolean;
  readonly isolation: string;
  readonly scenarios: { id: string; results: Record<string, Result> }[];
  readonly warnings: string[];
}

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(__dirname, '../bench/run.js'), ...args], { timeout: 90_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('npm run bench -- --quick', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wisp-rx-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures each implementation in its own process, with the no-proxy row only where it belongs', async () => {
    const out = path.join(dir, 'quick.json');
    const run = await runBench(['--quick', '--only=plain-relay,wisp-rx,direct-tcp', '--scenarios=single,churn', `--out=${out}`]);
    expect(run.stderr).not.toMatch(/still running/);
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.quick).toBe(true);
    expect(report.isolation).toMatch(/fresh process/);
    expect(report.warnings).toEqual([]);

    const single = report.scenarios.find((s) => s.id === 'single')!;
    for (const name of ['plain-relay', 'wisp-rx']) {
      expect(single.results[name].error).toBeUndefined();
      expect(single.results[name].values!.download).toBeGreaterThan(0);
      expect(single.results[name].values!.upload).toBeGreaterThan(0);
    }
    expect(single.results['direct-tcp'].skipped).toMatch(/reference for churn/);

    const churn = report.scenarios.find((s) => s.id === 'churn')!;
    for (const name of ['plain-relay', 'wisp-rx', 'direct-tcp']) expect(churn.results[name].values!.rate).toBeGreaterThan(0);
    // The printed table carries both ratio columns.
    expect(run.stdout).toMatch(/vs plain-relay/);
  }, 100_000);

  it('refuses an unknown argument with exit code 1 and says what to try', async () => {
    const run = await runBench(['--no-such-flag']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/unknown argument --no-such-flag \(try --help\)/);
  });
});
