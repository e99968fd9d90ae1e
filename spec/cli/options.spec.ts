/** `wisp-rx` options: config file and flag precedence, refusals (exit 2), and `--help`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { motd } from '../../lib/wisp/extensions/motd';
import { password } from '../../lib/wisp/extensions/password';
import { Cli, cleanAll, connect, startServe, tcpServer, tempDir } from './helpers';

afterEach(cleanAll);

const greeter = (): Promise<number> => tcpServer((socket) => socket.end('hello\n'));

/** Opens a stream and resolves with the close reason, or 'hello' when the greeter answered. */
async function attempt(url: string, port: number, user: string, pass: string): Promise<string | number> {
  const mux = await connect(url, { extensions: [password({ username: user, password: pass })] });
  const stream = await mux.open('tcp', '127.0.0.1', port);
  return new Promise((resolve, reject) => {
    stream.data$.subscribe({ next: (d) => resolve(Buffer.from(d).toString().trim()), error: () => undefined });
    stream.closed$.subscribe({ next: (reason) => resolve(reason), error: reject });
  });
}

describe('wisp-rx serve --config', () => {
  it('applies the file, and each flag given replaces the file value for its setting', async () => {
    const port = await greeter();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'users.txt'), 'bob:from-users-file\n');
    const config = path.join(dir, 'wisp.json');
    fs.writeFileSync(config, JSON.stringify({
      prefix: '/wisp/',
      motd: 'from the file',
      logLevel: 'silent',
      policy: { allowLoopback: true, portDeny: [port, { from: 1, to: 2 }] },
      passwords: { alice: 'from-passwords' },
      usersFile: 'users.txt', // relative to the config file
    }));

    const fileOnly = await startServe(['--config', config]);
    expect(fileOnly.url).toMatch(/\/wisp\/$/);
    expect((await connect(fileOnly.url, { extensions: [motd(), password({ username: 'alice', password: 'from-passwords' })] })).motd).toBe('from the file');
    expect(await attempt(fileOnly.url, port, 'bob', 'from-users-file')).toBe(0x48); // portDeny from the file
    expect(fileOnly.cli.stderr).toBe(''); // logLevel silent from the file

    const flags = await startServe(['--config', config, '--motd', 'from a flag', '--port-deny', '1-2', '--log-level', 'debug']);
    expect(flags.url).toMatch(/\/wisp\/$/);
    expect((await connect(flags.url, { extensions: [motd(), password({ username: 'bob', password: 'from-users-file' })] })).motd).toBe('from a flag');
    expect(await attempt(flags.url, port, 'alice', 'from-passwords')).toBe('hello'); // --port-deny replaced the file's list
    expect(flags.cli.stderr).toMatch(/debug auth: 2 user\(s\), 0 key\(s\), required/);
  });
});

describe('invalid options exit 2 with a one-line message', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
    fs.writeFileSync(path.join(dir, 'bad-keys.txt'), `${'ab'.repeat(32)}\nnot a key\n`);
    fs.writeFileSync(path.join(dir, 'bad-private.key'), '# my key\nnot a key\n');
    fs.writeFileSync(path.join(dir, 'unknown.json'), '{ "port": 0, "policy": { "allowLoopbak": true } }');
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "port": 0, ');
    fs.writeFileSync(path.join(dir, 'types.json'), '{ "bufferSize": "lots" }');
  });

  it.each([
    [['serve', '--bogus'], 'wisp-rx serve: unknown option --bogus (see wisp-rx serve --help)'],
    [['--port', 'abc'], 'wisp-rx serve: --port: expected an integer from 0 to 65535, got "abc"'],
    [['serve', '--port', '70000'], '--port: expected an integer from 0 to 65535'],
    [['serve', '--buffer-size', '0'], '--buffer-size: expected an integer from 1 to'],
    [['serve', '--idle-timeout', '-5'], '--idle-timeout: expected an integer'],
    [['serve', '--port-deny', '80-20'], '--port-deny: invalid port list "80-20": range 80-20 is reversed'],
    [['serve', '--port-allow', '80,,443'], '--port-allow: invalid port list "80,,443": empty item'],
    [['serve', '--users-file', 'no-such-file'], '--users-file: cannot read'],
    [['serve', '--key-file', 'bad-keys.txt'], '--key-file bad-keys.txt line 2: public key:'],
    [['serve', '--key-file', 'no-such-file'], 'ENOENT'],
    [['serve', '--config', 'no-such.json'], '--config: cannot read no-such.json: ENOENT'],
    [['serve', '--config', 'unknown.json'], 'unknown.json: unknown setting "policy.allowLoopbak"'],
    [['serve', '--config', 'broken.json'], 'broken.json: not valid JSON'],
    [['serve', '--config', 'types.json'], 'types.json: bufferSize: expected an integer'],
    [['serve', '--prefix', 'wisp'], 'invalid setting: prefix must start and end with "/"'],
    [['serve', '--host-deny', 'bad host'], 'invalid setting: hostDeny: invalid host pattern'],
    [['serve', '--trusted-proxy', 'not-an-ip'], 'invalid setting:'],
    [['serve', '--log-level', 'loud'], '--log-level: expected one of silent, error, warn, info, debug'],
    [['serve', '--user', 'nocolon'], '--user: expected NAME:PASSWORD'],
    [['serve', '--motd'], '--motd needs a value'],
    [['serve', '--allow-loopback=yes'], '--allow-loopback takes no value'],
    [['serve', 'extra'], 'unexpected argument "extra"'],
    [['frobnicate'], 'wisp-rx frobnicate: unknown command "frobnicate"'],
    [['forward', '--listen', '127.0.0.1:0', '--to', 'example.com:80'], 'wisp-rx forward: --server URL is required'],
    [['forward', '--server', 'http://x/', '--listen', '127.0.0.1:0', '--to', 'example.com:80'], '--server: expected ws://, wss://, tcp://HOST:PORT or unix:/path'],
    [['forward', '--server', 'ws://127.0.0.1:1/', '--listen', 'nope', '--to', 'example.com:80'], '--listen: expected HOST:PORT, got "nope"'],
    [['forward', '--server', 'ws://127.0.0.1:1/', '--listen', '127.0.0.1:0', '--to', 'example.com:0'], '--to port: expected an integer from 1 to 65535'],
    [['nc', '--server', 'ws://127.0.0.1:1/', 'example.com'], 'wisp-rx nc: expected HOST PORT'],
    [['nc', '--server', 'ws://127.0.0.1:1/', '--key', 'no-such-file', 'example.com', '80'], '--key: cannot read no-such-file: ENOENT'],
    [['nc', '--server', 'ws://127.0.0.1:1/', '--key', 'bad-private.key', 'example.com', '80'], 'wisp-rx nc: --key bad-private.key line 2: private key:'],
    [['nc', '--server', 'ws://127.0.0.1:1/', '--v1', '--user', 'a:b', 'example.com', '80'], '--user and --key need Wisp v2'],
  ])('%j', async (args, message) => {
    const cli = new Cli(args, { cwd: dir });
    expect(await cli.waitForExit()).toEqual({ code: 2, signal: null });
    expect(cli.stderr).toMatch(/^wisp-rx \S+: [^\n]+\n$/);
    expect(cli.stderr).toContain(message);
    expect(cli.stdout).toBe('');
  });

  it('a refused key file never echoes a private key', async () => {
    fs.writeFileSync(path.join(dir, 'short.key'), 'c2VjcmV0LXNlZWQ=\n');
    const cli = new Cli(['nc', '--server', 'ws://127.0.0.1:1/', '--key', 'short.key', 'example.com', '80'], { cwd: dir });
    expect((await cli.waitForExit()).code).toBe(2);
    expect(cli.stderr).not.toContain('c2VjcmV0LXNlZWQ');
  });
});

describe('--help', () => {
  /** The help entries, each `--flag` line with its continuation lines. */
  async function entries(args: string[]): Promise<Map<string, string>> {
    const cli = new Cli(args);
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    const map = new Map<string, string>();
    for (const block of cli.stdout.split(/\n(?= {2}(?:-\w, )?--)/).slice(1)) map.set(/^ {2}(?:-\w, )?--([\w-]+)/.exec(block)![1], block.split('\n\n')[0]);
    return map;
  }
  const SERVE = [
    'host', 'port', 'prefix', 'allow-loopback', 'allow-private', 'allow-link-local', 'no-direct-ip', 'no-tcp', 'no-udp',
    'host-allow', 'host-deny', 'port-allow', 'port-deny', 'buffer-size', 'max-streams', 'max-connections-per-client',
    'trusted-proxy', 'handshake-timeout', 'connect-timeout', 'idle-timeout', 'max-packet-size', 'max-queued-bytes', 'max-output-backlog', 'output-stall-timeout', 'connection-idle-timeout', 'http-headers-timeout', 'http-request-timeout', 'auth-max-failures', 'auth-failure-window', 'auth-lockout', 'dials-per-turn', 'max-dials-per-connection', 'max-dials-in-flight', 'v1-only', 'motd', 'user',
    'users-file', 'key-file', 'no-auth-required', 'log-level', 'stats-interval', 'shutdown-grace', 'workers', 'config', 'help',
    'listen', 'socket-mode', 'tls-cert', 'tls-key', 'transport', 'wsproxy', 'metrics', 'metrics-path', 'metrics-allow',
    'dns-server', 'dns-order', 'no-ipv6', 'redis', 'print-config',
  ];

  it('serve --help documents every option with its default, and the config file', async () => {
    const help = await entries(['serve', '--help']);
    expect([...help.keys()].sort()).toEqual([...SERVE].sort());
    for (const [name, text] of help) if (name !== 'help' && name !== 'print-config') expect(text).toMatch(/Default: [^]+\.$/);
    expect(help.get('port')).toContain('Default: 4000.');
    expect(help.get('buffer-size')).toContain('Default: 128.');
    expect(help.get('idle-timeout')).toContain('Default: 600000.');
    expect(help.get('max-queued-bytes')).toContain('Default: 67108864.');
    const all = new Cli(['serve', '--help']);
    await all.waitForExit();
    expect(all.stdout).toMatch(/Config file \(--config FILE\)/);
    expect(all.stdout).toContain('"policy"');
  });

  it('forward --help and nc --help document theirs; wisp-rx --help lists the commands', async () => {
    const forward = await entries(['forward', '--help']);
    expect([...forward.keys()].sort()).toEqual(['ca', 'connect-timeout', 'help', 'insecure', 'key', 'listen', 'log-level', 'reconnect-wait', 'server', 'to', 'udp', 'udp-idle', 'user', 'v1']);
    const nc = await entries(['nc', '-h']);
    expect([...nc.keys()].sort()).toEqual(['ca', 'close-on-eof', 'connect-timeout', 'help', 'idle-timeout', 'insecure', 'key', 'quit-after-eof', 'server', 'udp', 'user', 'v1']);
    for (const [name, text] of [...forward, ...nc]) if (name !== 'help') expect(text).toMatch(/(Default: [^]+|Required)\.$/);
    const main = new Cli(['--help']);
    expect((await main.waitForExit()).code).toBe(0);
    for (const command of ['serve', 'forward', 'nc', 'keygen']) expect(main.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});

describe('limits reach the gateway', () => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { resolveServeSettings } = require('../../lib/cli/serve-settings') as typeof import('../../lib/cli/serve-settings');
  const { parseFlags } = require('../../lib/cli/flags') as typeof import('../../lib/cli/flags');
  const { SERVE_FLAGS } = require('../../lib/cli/serve-options') as typeof import('../../lib/cli/serve-options');

  it('--max-queued-bytes and the config key maxQueuedBytes set the gateway option; absent, the default applies', () => {
    const flag = resolveServeSettings(parseFlags(['--max-queued-bytes', '1048576'], SERVE_FLAGS, 'serve'));
    expect(flag.gateway.maxQueuedBytes).toBe(1048576);
    const dir = tempDir();
    const file = path.join(dir, 'wisp.json');
    fs.writeFileSync(file, JSON.stringify({ maxQueuedBytes: 2097152 }));
    const config = resolveServeSettings(parseFlags(['--config', file], SERVE_FLAGS, 'serve'));
    expect(config.gateway.maxQueuedBytes).toBe(2097152);
    expect(resolveServeSettings(parseFlags([], SERVE_FLAGS, 'serve')).gateway.maxQueuedBytes).toBeUndefined();
  });

  const ATTACK_LIMITS: [flag: string, key: string][] = [
    ['max-output-backlog', 'maxOutputBacklog'],
    ['output-stall-timeout', 'outputStallTimeoutMs'],
    ['connection-idle-timeout', 'connectionIdleTimeoutMs'],
    ['http-headers-timeout', 'httpHeadersTimeoutMs'],
    ['http-request-timeout', 'httpRequestTimeoutMs'],
    ['auth-max-failures', 'authMaxFailures'],
    ['auth-failure-window', 'authFailureWindowMs'],
    ['auth-lockout', 'authLockoutMs'],
    ['dials-per-turn', 'dialsPerTurn'],
    ['max-dials-per-connection', 'maxDialsPerConnection'],
    ['max-dials-in-flight', 'maxDialsInFlight'],
  ];
  it.each(ATTACK_LIMITS)('--%s and the config key %s set the gateway option; a flag wins over the file', (flag, key) => {
    const dir = tempDir();
    const file = path.join(dir, 'wisp.json');
    // Header timeouts may not exceed the request timeout: keep them below when lowering it.
    fs.writeFileSync(file, JSON.stringify({ [key]: 4000, ...(key === 'httpRequestTimeoutMs' ? { httpHeadersTimeoutMs: 1000 } : {}) }));
    const fromFile = resolveServeSettings(parseFlags(['--config', file], SERVE_FLAGS, 'serve'));
    expect((fromFile.gateway as Record<string, unknown>)[key]).toBe(4000);
    const both = resolveServeSettings(parseFlags(['--config', file, `--${flag}`, '5000'], SERVE_FLAGS, 'serve'));
    expect((both.gateway as Record<string, unknown>)[key]).toBe(5000);
  });

  it('refuses header timeouts longer than the request timeout, and negative limits', () => {
    expect(() => resolveServeSettings(parseFlags(['--http-headers-timeout', '70000'], SERVE_FLAGS, 'serve'))).toThrow(/httpHeadersTimeoutMs/);
    expect(() => resolveServeSettings(parseFlags(['--dials-per-turn', '0'], SERVE_FLAGS, 'serve'))).toThrow(/dials-per-turn/);
  });
});
