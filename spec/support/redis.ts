/** A throwaway Debian `redis-server` on 127.0.0.1 (a free port, no persistence), for specs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}


/** Starts redis-server and resolves once it accepts connections (within 10 s). */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.once('error', (error) => (clearTimeout(timer), reject(new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`))));
    child.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
