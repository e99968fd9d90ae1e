/**
 * Runs the real `wisp-rx` command (bin/wisp-rx.js over the dist/ the global setup built) as a
 * child process. Synchronisation is by output lines and process exit, never by sleeping;
 * every wait is bounded. Call {@link killAll} in afterEach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClientMux, type ClientMuxOptions } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';

const BIN = path.join(__dirname, '..', '..', 'bin', 'wisp-rx.js');

/** How a child ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `wisp-rx` process. */
export class Cli {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  stdout = '';
  stderr = '';
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  private readonly listeners = new Set<() => void>();
  private exit: Exit | undefined;

  constructor(readonly args: readonly string[], options: { readonly cwd?: string; readonly stdin?: boolean } = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? process.cwd(), stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => ((this.stdout += d.toString('latin1')), this.notify()));
    this.child.stderr!.on('data', (d: Buffer) => ((this.stderr += d.toString('utf8')), this.notify()));
    this.child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      }),
    );
    running.add(this);
  }

  /** Stdout and stderr, for failure messages. */
  get output(): string {
    return `wisp-rx ${this.args.join(' ')}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`;
  }

  /** Waits until stdout or stderr matches `pattern`; fails on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return this.until(() => pattern.exec(this.stdout) ?? pattern.exec(this.stderr) ?? undefined, `${pattern}`, timeoutMs, true);
  }

  /** Waits for the process to exit; fails after `timeoutMs`. */
  waitForExit(timeoutMs = 10_000): Promise<Exit> {
    return this.until(() => this.exit, 'exit', timeoutMs, false);
  }

  private until<T>(check: () => T | undefined, what: string, timeoutMs: number, failOnExit: boolean): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.output}`)), timeoutMs);
      const listener = (): void => {
        const value = check();
        if (value !== undefined) done(undefined, value);
        else if (failOnExit && this.exit) done(new Error(`exited (${JSON.stringify(this.exit)}) before ${what}\n${this.output}`));
      };
      const done = (error?: Error, value?: T): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (error) reject(error);
        else resolve(value as T);
      };
      this.listeners.add(listener);
      listener();
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

const running = new Set<Cli>();

/** Kills every child still running (SIGKILL) and waits for them. */
export async function killAll(): Promise<void> {
  const all = [...running];
  running.clear();
  for (const cli of all) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
  await Promise.all(all.map((cli) => cli.exited));
}

/** Starts `wisp-rx serve --port 0 …args` and resolves with it and its URL once it listens. */
export async function startServe(args: readonly string[] = []): Promise<{ cli: Cli; url: string }> {
  const cli = new Cli(['serve', '--port', '0', ...args]);
  const [, url] = await cli.waitFor(/listening on ((?:wss?:\/\/|tcp:\/\/|unix:)\S+)/);
  return { cli, url: url };
}

/** Starts `wisp-rx forward --listen 127.0.0.1:0 …args`; resolves with it and the local port. */
export async function startForward(args: readonly string[]): Promise<{ cli: Cli; port: number }> {
  const cli = new Cli(['forward', '--listen', '127.0.0.1:0', ...args]);
  const [, port] = await cli.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  return { cli, port: Number(port) };
}

/** Things to close after each test (servers, sockets, muxes). */
export const cleanup: (() => unknown)[] = [];

/** Runs and empties {@link cleanup}, newest first, then {@link killAll}. */
export async function cleanAll(): Promise<void> {
  for (const close of cleanup.splice(0).reverse()) await close();
  await killAll();
}

/** A TCP server on 127.0.0.1 (closed by {@link cleanAll}); resolves with its port. */
export async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket.on('error', () => undefined).on('close', () => sockets.delete(socket)));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

/** A UDP echo server on 127.0.0.1; resolves with its port. */
export async function udpEcho(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, from) => socket.send(message, from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

export { freePort } from '../support/ports';

/** Connects a ClientMux from lib/ (closed by {@link cleanAll}). */
export async function connect(url: string, options: ClientMuxOptions = {}): Promise<ClientMux> {
  const mux = await ClientMux.connect(url, { connector: (u, p) => connectWs(u, p), ...options });
  cleanup.push(() => mux.close());
  return mux;
}

/** A fresh temporary directory (removed by {@link cleanAll}). */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-rx-cli-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
