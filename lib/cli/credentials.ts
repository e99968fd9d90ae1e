/**
 * Credentials read from files: the gateway's users file and public key files, and a
 * client's private key file. Error messages name the file and line, never the secret.
 * @module
 */
import { parsePrivateKey, parsePublicKey } from '../wisp/extensions/key-auth.js';
import { UsageError } from './cli-error.js';
import { parseCredentials, readContentLines } from './values.js';

/**
 * Reads a users file: one `name:password` per line; blank lines and `#` comments skipped.
 * @throws UsageError for an unreadable file or a line without a colon.
 */
export function readUsersFile(file: string, label: string): Record<string, string> {
  const users: Record<string, string> = {};
  for (const { line, text } of readContentLines(file, label)) {
    const { username, password } = parseCredentials(text, `${label} ${file} line ${line}`);
    users[username] = password;
  }
  return users;
}

/**
 * Reads Ed25519 public keys, one per line (64 hex digits or base64 of 32 bytes); blank
 * lines and `#` comments skipped.
 * @throws UsageError for an unreadable file, a bad key, or a file without keys.
 */
export function readPublicKeysFile(file: string, label: string): Uint8Array[] {
  const keys = readContentLines(file, label).map(({ line, text }) => {
    try {
      return parsePublicKey(text);
    } catch (error) {
      throw new UsageError(`${label} ${file} line ${line}: ${(error as Error).message}`);
    }
  });
  if (keys.length === 0) throw new UsageError(`${label} ${file}: no keys in the file`);
  return keys;
}

/**
 * Reads a client's Ed25519 private key (32-byte seed, hex or base64) from the first line
 * that is not blank or a `#` comment.
 * @throws UsageError for an unreadable file or a bad key.
 */
export function readPrivateKeyFile(file: string, label: string): Uint8Array {
  const [first] = readContentLines(file, label);
  if (first === undefined) throw new UsageError(`${label} ${file}: no key in the file`);
  try {
    return parsePrivateKey(first.text);
  } catch (error) {
    throw new UsageError(`${label} ${file} line ${first.line}: ${(error as Error).message}`);
  }
}
