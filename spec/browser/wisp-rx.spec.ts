/**
 * wisp-rx's universal entry, bundled by esbuild for the browser, in Chromium against the real
 * `wisp-rx serve`: no connector given, v2 with MOTD, TCP and UDP, password and key auth, and
 * the downgrade to a v1-only gateway.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPair } from '../../lib/wisp/extensions/key-auth';
import { run } from './harness/browser';
import { browserSuite } from './harness/suite';
import { tcpEcho, udpEcho } from './harness/targets';

const suite = browserSuite(['wisp-rx']);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

interface Hello {
  version: { major: number; minor: number };
  downgraded: boolean;
  extensionIds: number[];
  motd: string | null;
  protocol: string;
  hasWebSocketStream: boolean;
  used: { WebSocketStream: number; WebSocket: number };
}
interface Echo {
  sent: string;
  received: string;
  length: number;
  used: { WebSocketStream: number; WebSocket: number };
}
interface Auth {
  ok: boolean;
  extensionIds?: number[];
  error?: { name: string; code?: string; reason?: number };
}

describe('wisp-rx in Chromium (universal entry, no connector)', () => {
  it('connects with v2, lists MOTD and extensions, over WebSocketStream', async () => {
    const { url } = await suite.serve('--motd', 'hello browser');
    const page = await suite.open('wisp-rx');
    const hello = await run<Hello>(page, 'hello', url);
    expect(hello.version).toEqual({ major: 2, minor: 0 });
    expect(hello.downgraded).toBe(false);
    expect(hello.motd).toBe('hello browser');
    expect(hello.protocol).toBe('wisp-v2');
    expect(hello.extensionIds).toEqual(expect.arrayContaining([0x01, 0x04, 0x05]));
    expect(hello.hasWebSocketStream).toBe(true);
    expect(hello.used).toEqual({ WebSocketStream: 1, WebSocket: 0 });
  });

  it('echoes 1 MiB over TCP, verified by SHA-256', async () => {
    const { url } = await suite.serve();
    const port = await tcpEcho();
    const page = await suite.open('wisp-rx');
    const echo = await run<Echo>(page, 'tcpEcho', url, port, 1024 * 1024);
    expect(echo.length).toBe(1024 * 1024);
    expect(echo.received).toBe(echo.sent);
  });

  it('falls back to the standard WebSocket end to end (forced)', async () => {
    const { url } = await suite.serve();
    const port = await tcpEcho();
    const page = await suite.open('wisp-rx');
    const echo = await run<Echo>(page, 'tcpEcho', url, port, 1024 * 1024, 'websocket');
    expect(echo.received).toBe(echo.sent);
    expect(echo.used).toEqual({ WebSocketStream: 0, WebSocket: 1 });
    const hello = await run<Hello>(page, 'hello', url, 'websocket');
    expect(hello.version.major).toBe(2);
  });

  it('carries UDP datagrams one to one', async () => {
    const { url } = await suite.serve();
    const port = await udpEcho();
    const page = await suite.open('wisp-rx');
    const sizes = [1, 100, 1400, 8000, 60000];
    const results = await run<{ size: number; same: boolean }[]>(page, 'udpEcho', url, port, sizes);
    expect(results).toEqual(sizes.map((size) => ({ size, same: true })));
  });

  it('password auth: right credentials pass, wrong ones get 0xc0', async () => {
    const { url } = await suite.serve('--user', 'alice:secret');
    const page = await suite.open('wisp-rx');
    const right = await run<Auth>(page, 'passwordAuth', url, 'alice', 'secret');
    expect(right).toMatchObject({ ok: true });
    expect(right.extensionIds).toContain(0x02);
    const wrong = await run<Auth>(page, 'passwordAuth', url, 'alice', 'wrong');
    expect(wrong).toMatchObject({ ok: false, error: { name: 'WispError', code: 'PasswordExtensionCredsInvalid', reason: 0xc0 } });
  });

  it('Ed25519 key auth: the listed key passes, another gets 0xc1', async () => {
    const allowed = await generateKeyPair();
    const stranger = await generateKeyPair();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-rx-browser-'));
    try {
      const keys = path.join(dir, 'keys.txt');
      fs.writeFileSync(keys, `# allowed\n${hex(allowed.publicKey)}\n`);
      const { url } = await suite.serve('--key-file', keys);
      const page = await suite.open('wisp-rx');
      const right = await run<Auth>(page, 'keyAuth', url, hex(allowed.privateKey));
      expect(right).toMatchObject({ ok: true });
      expect(right.extensionIds).toContain(0x03);
      const wrong = await run<Auth>(page, 'keyAuth', url, hex(stranger.privateKey));
      expect(wrong).toMatchObject({ ok: false, error: { code: 'CertAuthExtensionSigInvalid', reason: 0xc1 } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('downgrades to v1 against serve --v1-only and still carries TCP', async () => {
    const { url } = await suite.serve('--v1-only', '--motd', 'unseen');
    const port = await tcpEcho();
    const page = await suite.open('wisp-rx');
    const hello = await run<Hello>(page, 'hello', url);
    expect(hello.version.major).toBe(1);
    expect(hello.downgraded).toBe(true);
    expect(hello.motd).toBeNull();
    const echo = await run<Echo>(page, 'tcpEcho', url, port, 256 * 1024);
    expect(echo.received).toBe(echo.sent);
  });
});
