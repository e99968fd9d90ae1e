/** Self-signed certificates for 127.0.0.1, made by Debian's `openssl` in a temporary directory. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Certificate {
  readonly cert: string;
  readonly key: string;
  readonly dir: string;
}

/** A fresh EC P-256 certificate for IP 127.0.0.1 (valid one day); remove `dir` when done. */
export function selfSignedCertificate(name = 'wisp-rx-test'): Certificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-rx-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { cert, key, dir };
}
