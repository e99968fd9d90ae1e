/**
 * The Go interop peers (interop/go: smux-peer on xtaci/smux, yamux-peer on hashicorp/yamux),
 * for specs: built once per source version into a cache directory, started as child
 * processes on 127.0.0.1, their JSON event lines parsed. Uses Debian's Go and Go packages in
 * GOPATH mode (Go modules cannot be downloaded here); when they are missing, building fails
 * with the apt-get line to run. Flags and events: interop/go/README.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The two programs. */
export type GoPeerName = 'smux' | 'yamux';

/** One JSON line a Go peer printed; `event` names it (`listening`, `stream`, `done`, …). */
export interface GoPeerEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** How a Go peer ended. `code` is 0 when every stream succeeded, 1 when one failed, 2 for bad flags, 3 past `-deadline`. */
export interface GoPeerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly events: readonly GoPeerEvent[];
  readonly stderr: string;
}

/** A running Go peer. */
export interface GoPeer {
  /** Every event so far, in order. */
  readonly events: readonly GoPeerEvent[];
  /** Resolves with the first event (already seen or still to come) that matches; rejects if the peer exits first or `timeoutMs` passes. */
  waitFor(match: string | ((e: GoPeerEvent) => boolean), timeoutMs?: number): Promise<GoPeerEvent>;
  /** Resolves when the process has ended. */
  readonly exited: Promise<GoPeerExit>;
  /** What the program wrote on stderr so far (the libraries' own log lines). */
  stderr(): string;
  /** SIGKILLs the process if it still runs; resolves once it has ended. */
  kill(): Promise<GoPeerExit>;
}

/** A peer started with `-mode server`, once it listens. */
export interface GoServer extends GoPeer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:port`, for a Go client's `-connect`. */
  readonly addr: string;
}

const ROOT = path.join(__dirname, '..', '..');
const GO_SOURCES = path.join(ROOT, 'interop', 'go');
const DEBIAN_GOPATH = '/usr/share/gocode';
const APT = 'apt-get install golang-go golang-github-xtaci-smux-dev golang-github-hashicorp-yamux-dev';
const LIBRARIES = ['github.com/xtaci/smux', 'github.com/hashicorp/yamux'];
const CACHE = path.join(os.tmpdir(), 'wisp-rx-go');

export interface BuildOptions {
  /** The go command (default `go` on PATH). */
  readonly go?: string;
}

let built: Promise<Record<GoPeerName, string>> | undefined;

/**
 * Builds both programs unless this version of their sources (and of Go) is already in the
 * cache, and returns their paths. One build per version, whatever the number of jest
 * workers: each builds into its own directory and renames it into place.
 */
export function buildGoPeers(options: BuildOptions = {}): Promise<Record<GoPeerName, string>> {
  if (options.go !== undefined) return build(options.go);
  built ??= build('go');
  return built;
}

async function build(go: string): Promise<Record<GoPeerName, string>> {
  const version = await run(go, ['version'], {}).catch((error: Error) => {
    throw new Error(`the Go interop peers need Go (${go}: ${error.message}); install Debian's: ${APT}`);
  });
  for (const lib of LIBRARIES) {
    if (!fs.existsSync(path.join(DEBIAN_GOPATH, 'src', lib))) {
      throw new Error(`the Go interop peers need ${lib} under ${DEBIAN_GOPATH}; install Debian's: ${APT}`);
    }
  }
  const dir = path.join(CACHE, sourceHash(version));
  const binaries = { smux: path.join(dir, 'smux-peer'), yamux: path.join(dir, 'yamux-peer') };
  if (fs.existsSync(binaries.smux) && fs.existsSync(binaries.yamux)) return binaries;
  fs.mkdirSync(CACHE, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(CACHE, 'build-'));
  const env = {
    GO111MODULE: 'off',
    GOPATH: `${DEBIAN_GOPATH}:${GO_SOURCES}`,
    GOCACHE: path.join(CACHE, 'gocache'),
    GOFLAGS: '',
    CGO_ENABLED: '0',
  };
  try {
    for (const name of ['smux-peer', 'yamux-peer']) {
      await run(go, ['build', '-o', path.join(scratch, name), `wisprx/${name}`], env);
    }
    try {
      fs.renameSync(scratch, dir);
    } catch (error) {
      // Another worker got there first: its build is the same.
      if (!fs.existsSync(binaries.smux)) throw error;
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  } catch (error) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  return binaries;
}

/** A hash of every source file and the Go version: the cache key. */
function sourceHash(goVersion: string): string {
  const hash = createHash('sha256').update(goVersion);
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.go')) hash.update(path.relative(GO_SOURCES, full)).update('\0').update(fs.readFileSync(full));
    }
  };
  walk(GO_SOURCES);
  return hash.digest('hex').slice(0, 16);
}

function run(command: string, args: readonly string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, ...env }, cwd: GO_SOURCES }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts a Go peer with these flags (see interop/go/README.md). `-deadline` defaults to 30 s,
 * and the process is SIGKILLed 5 s after that if it has not ended by itself. Call `kill()`
 * in the spec's teardown.
 */
export async function startGoPeer(name: GoPeerName, args: readonly string[]): Promise<GoPeer> {
  const binaries = await buildGoPeers();
  const flags = args.some((a) => a === '-deadline' || a.startsWith('-deadline=')) ? [...args] : ['-deadline', '30s', ...args];
  const child = spawn(binaries[name], flags, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const events: GoPeerEvent[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line === '') continue;
      try {
        events.push(JSON.parse(line) as GoPeerEvent);
      } catch {
        events.push({ event: 'unparsed', line });
      }
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr += text));
  const killer = setTimeout(() => child.kill('SIGKILL'), deadlineMs(flags) + 5000);
  killer.unref();
  let ended = false;
  const exited = new Promise<GoPeerExit>((resolve) => {
    child.once('error', (error) => {
      stderr += `\nspawn failed: ${error.message}`;
      ended = true;
      resolve({ code: null, signal: null, events, stderr });
    });
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      running.delete(child);
      ended = true;
      for (const listener of [...listeners]) listener();
      resolve({ code, signal, events, stderr });
    });
  });
  const waitFor = (match: string | ((e: GoPeerEvent) => boolean), timeoutMs = 20_000): Promise<GoPeerEvent> => {
    const test = typeof match === 'string' ? (e: GoPeerEvent) => e.event === match : match;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = events.find(test);
        if (found) finish(() => resolve(found));
        else if (ended) finish(() => reject(new Error(`${name}-peer ended without the awaited event\nevents: ${JSON.stringify(events)}\nstderr: ${stderr}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${name}-peer: no awaited event within ${timeoutMs} ms\nevents: ${JSON.stringify(events)}`))), timeoutMs);
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        then();
      };
      listeners.add(check);
      check();
    });
  };
  return {
    events,
    waitFor,
    exited,
    stderr: () => stderr,
    kill: () => {
      if (!ended) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Starts a Go peer with `-mode server -listen 127.0.0.1:0` and these flags, and waits until it listens. */
export async function startGoServer(name: GoPeerName, args: readonly string[]): Promise<GoServer> {
  const peer = await startGoPeer(name, ['-mode', 'server', '-listen', '127.0.0.1:0', ...args]);
  try {
    const listening = await peer.waitFor('listening');
    const addr = String(listening.addr);
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    return Object.assign(peer, { host: '127.0.0.1' as const, port, addr });
  } catch (error) {
    await peer.kill();
    throw error;
  }
}

/** Starts a Go peer with `-mode client -connect addr` and these flags. */
export function startGoClient(name: GoPeerName, addr: string, args: readonly string[]): Promise<GoPeer> {
  return startGoPeer(name, ['-mode', 'client', '-connect', addr, ...args]);
}

/** The `stream` events of a peer. */
export function streamEvents(events: readonly GoPeerEvent[]): GoPeerEvent[] {
  return events.filter((e) => e.event === 'stream');
}

/** The `-deadline` in ms (Go duration syntax: 500ms, 30s, 1m30s); 60 s, Go's default, when absent. */
function deadlineMs(flags: readonly string[]): number {
  const i = flags.indexOf('-deadline');
  const value = i >= 0 ? flags[i + 1] : flags.find((f) => f.startsWith('-deadline='))?.slice('-deadline='.length);
  if (value === undefined) return 60_000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, n, u] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(n) * unit[u];
  return total > 0 ? total : 60_000;
}

/**
 * The bytes a Go source or echo check sends on stream `streamId`: xorshift32 seeded with
 * `streamId * 0x9E3779B1 + 1` (1 if that is 0), each step's 32 bits little-endian.
 */
export function goPattern(streamId: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (Math.imul(streamId, 0x9e3779b1) + 1) >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (x >>> (8 * k)) & 0xff;
  }
  return out;
}

/** SHA-256 (hex) of {@link goPattern}: what a Go sink reports for a stream a Go source fed. */
export function goPatternSha256(streamId: number, length: number): string {
  return createHash('sha256').update(goPattern(streamId, length)).digest('hex');
}

/** What {@link goBench} measured. */
export interface GoBenchResult {
  readonly streams: number;
  readonly bytesPerStream: number;
  readonly seconds: number;
  /** Payload one way (the echo carries as much back). */
  readonly mibPerSecond: number;
}

/**
 * Go against Go throughput, for a bench's reference rows: a Go echo server and a Go client
 * running `-role bench` over `streams` streams of `bytesPerStream` each way. `args` go to
 * both (e.g. `['-version', '2']`).
 */
export async function goBench(name: GoPeerName, streams: number, bytesPerStream: number, args: readonly string[] = []): Promise<GoBenchResult> {
  const server = await startGoServer(name, ['-role', 'echo', '-nohash', '-deadline', '5m', ...args]);
  try {
    const client = await startGoClient(name, server.addr, ['-role', 'bench', '-open', String(streams), '-bytes', String(bytesPerStream), '-deadline', '5m', ...args]);
    const exit = await client.exited;
    const bench = exit.events.find((e) => e.event === 'bench');
    if (exit.code !== 0 || !bench) throw new Error(`${name}-peer bench failed (code ${exit.code}): ${JSON.stringify(exit.events)}\n${exit.stderr}`);
    return { streams, bytesPerStream, seconds: bench.seconds as number, mibPerSecond: bench.mib_per_s as number };
  } finally {
    await server.kill();
  }
}
