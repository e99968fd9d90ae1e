/** Password and Ed25519 key authentication through the CLI flags, right and wrong. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { generateKeyPair } from '../../lib/wisp/extensions/key-auth';
import { Cli, cleanAll, startForward, startServe, tcpServer, tempDir } from './helpers';

afterEach(cleanAll);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const greeter = (): Promise<number> => tcpServer((socket) => socket.end('hello\n'));

async function nc(url: string, port: number, ...flags: string[]): Promise<Cli> {
  const cli = new Cli(['nc', '--server', url, ...flags, '127.0.0.1', String(port)], { stdin: true });
  await cli.waitForExit();
  return cli;
}

/** Connects to a forward port and reads until the remote closes. */
function readAll(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    net.connect(port, '127.0.0.1').setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text)).on('error', reject);
  });
}

describe('wisp-rx authentication', () => {
  it('--user: the right password gets in, a wrong or missing one is refused with its reason', async () => {
    const port = await greeter();
    const { url } = await startServe(['--allow-loopback', '--user', 'alice:correct horse', '--user', 'bob:x:y']);
    const ok = await nc(url, port, '--user', 'alice:correct horse');
    expect([ok.child.exitCode, ok.stdout]).toEqual([0, 'hello\n']);
    const colon = await nc(url, port, '--user', 'bob:x:y'); // the password is everything after the first colon
    expect([colon.child.exitCode, colon.stdout]).toEqual([0, 'hello\n']);

    const wrong = await nc(url, port, '--user', 'alice:battery staple');
    expect(wrong.child.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/^wisp-rx nc: cannot connect to .*PasswordInvalid \(0xc0\)/);
    const none = await nc(url, port);
    expect(none.child.exitCode).toBe(1);
    expect(none.stderr).toMatch(/AuthRequired \(0xc2\)/);
  });

  it('--users-file and --no-auth-required', async () => {
    const port = await greeter();
    const dir = tempDir();
    const users = path.join(dir, 'users.txt');
    fs.writeFileSync(users, '# who may connect\n\ncarol:pa:ss word\r\n  dave:1234  \n');
    const { url } = await startServe(['--allow-loopback', '--users-file', users, '--no-auth-required']);
    expect((await nc(url, port, '--user', 'carol:pa:ss word')).stdout).toBe('hello\n');
    expect((await nc(url, port, '--user', 'dave:1234')).stdout).toBe('hello\n');
    expect((await nc(url, port)).stdout).toBe('hello\n'); // optional: no credentials is fine
    expect((await nc(url, port, '--user', 'dave:12345')).stderr).toMatch(/PasswordInvalid \(0xc0\)/); // wrong ones are not
  });

  it('--key-file / --key: an allowed key gets in through forward; another key makes forward exit 1 with the reason', async () => {
    const port = await greeter();
    const dir = tempDir();
    const [allowed, other, stranger] = await Promise.all([generateKeyPair(), generateKeyPair(), generateKeyPair()]);
    const keys = path.join(dir, 'keys.txt');
    fs.writeFileSync(keys, `# allowed clients\n${hex(other.publicKey)}\n${Buffer.from(allowed.publicKey).toString('base64')}\n`);
    fs.writeFileSync(path.join(dir, 'client.key'), `${hex(allowed.privateKey)}\n`);
    fs.writeFileSync(path.join(dir, 'stranger.key'), `${Buffer.from(stranger.privateKey).toString('base64url')}\n`);
    const { url } = await startServe(['--allow-loopback', '--key-file', keys]);

    const forward = await startForward(['--server', url, '--key', path.join(dir, 'client.key'), '--to', `127.0.0.1:${port}`]);
    expect(await readAll(forward.port)).toBe('hello\n');

    const refused = new Cli(['forward', '--server', url, '--key', path.join(dir, 'stranger.key'), '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${port}`]);
    expect((await refused.waitForExit()).code).toBe(1);
    expect(refused.stderr).toMatch(/^wisp-rx forward: cannot connect to .*SignatureInvalid \(0xc1\)/m);
    expect(refused.stdout).toBe('');
  });

  it('never logs credentials, even at debug', async () => {
    const port = await greeter();
    const secret = 'pw-Zq81xLk';
    const wrong = 'pw-Mm55tRe';
    const serve = await startServe(['--allow-loopback', '--log-level', 'debug', '--user', `erin:${secret}`]);
    expect((await nc(serve.url, port, '--user', `erin:${secret}`)).stdout).toBe('hello\n');
    const bad = await nc(serve.url, port, '--user', `erin:${wrong}`);
    expect(bad.child.exitCode).toBe(1);
    expect(bad.stderr).not.toContain(wrong);
    serve.cli.child.kill('SIGTERM');
    await serve.cli.waitForExit();
    expect(serve.cli.stderr).toMatch(/debug/); // debug lines were written …
    expect(serve.cli.stderr).toMatch(/handshake failed: PasswordExtensionCredsInvalid/);
    for (const text of [secret, wrong]) {
      expect(serve.cli.stdout + serve.cli.stderr).not.toContain(text); // … without the passwords
    }
  });
});
