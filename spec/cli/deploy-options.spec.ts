/** The deployment settings of `wisp-rx serve`: flags and config keys to gateway options, and refusals. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFlags } from '../../lib/cli/flags';
import { SERVE_FLAGS } from '../../lib/cli/serve-options';
import { printableConfig, resolveServeSettings } from '../../lib/cli/serve-settings';
import { selfSignedCertificate } from '../support/certificates';
import { cleanAll, Cli, tempDir } from './helpers';

afterEach(cleanAll);

const settings = (args: string[]) => resolveServeSettings(parseFlags(args, SERVE_FLAGS, 'serve'));

describe('serve deployment settings', () => {
  it('reads listeners, TLS files, transport, wsproxy, metrics, DNS and Redis from flags', () => {
    const cert = selfSignedCertificate();
    try {
      const { gateway } = settings([
        '--listen', 'unix:/tmp/wisp-rx-test.sock', '--socket-mode', '660', '--tls-cert', cert.cert, '--tls-key', cert.key,
        '--wsproxy', '--metrics', '127.0.0.1:9100', '--metrics-allow', '10.0.0.0/8', '--dns-server', '127.0.0.1:5353',
        '--dns-order', 'ipv4first', '--no-ipv6', '--redis', 'redis://127.0.0.1:6379',
      ]);
      expect(gateway).toMatchObject({
        listen: 'unix:/tmp/wisp-rx-test.sock',
        socketMode: 0o660,
        tls: { cert: cert.cert, key: cert.key },
        wsproxy: true,
        metrics: '127.0.0.1:9100',
        metricsAllow: ['10.0.0.0/8'],
        dns: { servers: ['127.0.0.1:5353'], order: 'ipv4first', ipv6: false },
        redis: 'redis://127.0.0.1:6379',
      });
      expect(settings(['--transport', 'length-delimited']).gateway.transport).toBe('length-delimited');
    } finally {
      fs.rmSync(cert.dir, { recursive: true, force: true });
    }
  });

  it('reads them from a config file, TLS paths relative to it', () => {
    const dir = tempDir();
    const cert = selfSignedCertificate();
    fs.copyFileSync(cert.cert, path.join(dir, 'cert.pem'));
    fs.copyFileSync(cert.key, path.join(dir, 'key.pem'));
    fs.rmSync(cert.dir, { recursive: true, force: true });
    const file = path.join(dir, 'wisp.json');
    fs.writeFileSync(file, JSON.stringify({ tlsCert: 'cert.pem', tlsKey: 'key.pem', metricsPath: '/_wisp/', dnsOrder: 'ipv6first', socketMode: '600' }));
    const { gateway } = settings(['--config', file]);
    expect(gateway).toMatchObject({ tls: { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') }, metricsPath: '/_wisp/', dns: { order: 'ipv6first' }, socketMode: 0o600 });
  });

  it('refuses what cannot work, before anything listens', () => {
    for (const [args, message] of [
      [['--tls-cert', '/nonexistent.pem'], /--tls-cert and --tls-key go together/],
      [['--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.key'], /cannot read TLS files/],
      [['--transport', 'carrier-pigeon'], /transport must be/],
      [['--listen', 'nowhere'], /expected HOST:PORT or unix/],
      [['--metrics', 'unix:/tmp/m.sock'], /metrics listens on TCP/],
      [['--metrics-path', '/'], /metricsPath must/],
      [['--dns-order', 'random'], /--dns-order/],
      [['--socket-mode', '999'], /octal file mode/],
      [['--transport', 'length-delimited', '--wsproxy'], /wsproxy needs the WebSocket transport/],
    ] as const) {
      expect(() => settings([...args])).toThrow(message);
    }
  });

  it('--print-config prints the effective configuration with secrets redacted, and exits 0', async () => {
    const cli = new Cli(['serve', '--print-config', '--user', 'alice:hunter2', '--redis', 'redis://admin:s3cret@127.0.0.1:6379/0', '--port', '4321']);
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    const config = JSON.parse(cli.stdout) as Record<string, unknown>;
    expect(config).toMatchObject({ port: 4321, maxConnectionsPerClient: 32, passwords: { alice: '[redacted]' }, redis: 'redis://admin:[redacted]@127.0.0.1:6379/0' });
    expect(cli.stdout).not.toMatch(/hunter2|s3cret/);
    expect(printableConfig(settings(['--socket-mode', '640'])).socketMode).toBe('640');
  });
});
