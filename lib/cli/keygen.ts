/**
 * `wisp-rx keygen`: makes an Ed25519 key pair for Wisp key auth, in the formats the other
 * commands read: the private key seed for a client's `--key FILE`, the public key for a
 * gateway's `--key-file FILE` (one per line; append it to the gateway's file).
 * @module
 */
import * as fs from 'node:fs';
import { generateKeyPair } from '../wisp/extensions/key-auth.js';
import { CliError, UsageError } from './cli-error.js';
import { HELP_FLAG } from './client-options.js';
import { parseFlags, type FlagSpec } from './flags.js';
import { page } from './help.js';

/** Flags of `wisp-rx keygen`. */
export const KEYGEN_FLAGS: readonly FlagSpec[] = [
  { name: 'out', type: 'string', metavar: 'FILE', help: 'Write the private key to FILE (mode 0600) and the public key to FILE.pub.', default: 'required' },
  { name: 'force', type: 'boolean', help: 'Replace FILE and FILE.pub if they exist.', default: 'off: refuse' },
  HELP_FLAG,
];

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Runs `wisp-rx keygen --out FILE`; prints the public key and resolves with exit code 0.
 * @throws UsageError for bad flags or an existing file without `--force`; CliError when a file cannot be written.
 */
export async function keygen(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, KEYGEN_FLAGS, 'keygen');
  if (flags.has('help')) return process.stdout.write(keygenHelp()), 0;
  if (flags.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(flags.positionals[0])}`);
  const out = flags.string('out');
  if (out === undefined) throw new UsageError('--out FILE is required');
  const files = [out, `${out}.pub`];
  if (!flags.has('force')) {
    for (const file of files) if (fs.existsSync(file)) throw new UsageError(`${file} exists (add --force to replace it)`);
  }
  const { privateKey, publicKey } = await generateKeyPair();
  try {
    // Written with 0600 from the start, so the seed is never readable by others, even briefly.
    fs.rmSync(out, { force: true });
    fs.writeFileSync(out, `# wisp-rx Ed25519 private key (32-byte seed, hex): wisp-rx forward|nc --key ${out}\n${hex(privateKey)}\n`, { mode: 0o600 });
    fs.writeFileSync(`${out}.pub`, `${hex(publicKey)}\n`);
  } catch (error) {
    throw new CliError(`cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  process.stdout.write(`${hex(publicKey)}\n`);
  process.stderr.write(`wrote ${out} (private key, for --key) and ${out}.pub (public key, for the gateway's --key-file)\n`);
  return 0;
}

/** `wisp-rx keygen --help`. */
export function keygenHelp(): string {
  return page(
    'wisp-rx keygen --out FILE [--force]',
    'Makes an Ed25519 key pair for Wisp key auth: FILE holds the private key seed (hex) that forward and nc read with --key FILE; ' +
      'FILE.pub holds the public key (hex), one line to add to a gateway\'s --key-file. Prints the public key on stdout.',
    KEYGEN_FLAGS,
    ['wisp-rx keygen --out client.key', 'cat client.key.pub >> keys.txt && wisp-rx serve --key-file keys.txt'],
    ['Exit codes: 0 written; 1 a file could not be written; 2 invalid options or FILE exists (without --force).'],
  );
}
