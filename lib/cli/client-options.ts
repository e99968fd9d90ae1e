/**
 * Flags shared by the client commands (`forward`, `nc`): the server URL, credentials and
 * protocol version, turned into ClientMux options.
 * @module
 */
import * as fs from 'node:fs';
import { isWispError } from '../errors.js';
import type { ExtensionBuilder } from '../wisp/extensions/extension.js';
import { keyAuth } from '../wisp/extensions/key-auth.js';
import { motd } from '../wisp/extensions/motd.js';
import { password } from '../wisp/extensions/password.js';
import { streamConfirmation } from '../wisp/extensions/stream-confirmation.js';
import { udp } from '../wisp/extensions/udp.js';
import type { ClientMuxOptions } from '../wisp/client-mux.js';
import { closeReasonName } from '../wisp/packet/close-reason.js';
import { connectLengthDelimited, isLengthDelimitedUrl } from '../transport/length-delimited.js';
import { connectWs } from '../transport/ws.js';
import { UsageError } from './cli-error.js';
import { readPrivateKeyFile } from './credentials.js';
import type { FlagSpec, ParsedFlags } from './flags.js';
import { MAX_TIMER_MS, parseCredentials, parseInteger } from './values.js';

/**
 * Reads a PEM file of CA certificates for `--ca`.
 * @throws UsageError when unreadable or holding no certificate.
 */
function readCaFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca ${file}: no PEM certificate in the file`);
  return text;
}

/** Flags of every client command. */
export const CLIENT_FLAGS: readonly FlagSpec[] = [
  { name: 'server', type: 'string', metavar: 'URL', help: 'Wisp server: ws://127.0.0.1:4000/ (wss:// for TLS), or tcp://HOST:PORT / unix:/path for Wisp over a plain byte stream.', default: 'required' },
  { name: 'user', type: 'string', metavar: 'NAME:PASS', help: 'Authenticate with a password (Wisp v2 password extension).', default: 'none' },
  { name: 'key', type: 'string', metavar: 'FILE', help: 'Authenticate with the Ed25519 private key (32-byte seed, hex or base64) in FILE.', default: 'none' },
  { name: 'v1', type: 'boolean', help: 'Speak Wisp v1 only (no extensions, so no auth).', default: 'off: v2, falling back to v1' },
  { name: 'connect-timeout', type: 'string', metavar: 'MS', help: 'Give up on a connection to the server whose WebSocket upgrade or Wisp handshake takes longer.', default: '10000' },
  { name: 'ca', type: 'string', metavar: 'FILE', help: 'wss://: trust the CA certificates (PEM) in FILE instead of the system\'s.', default: 'system CAs' },
  { name: 'insecure', type: 'boolean', help: 'wss://: accept any server certificate (for testing; the connection is not authenticated).', default: 'off' },
];

const LOG_LEVEL: FlagSpec = { name: 'log-level', type: 'string', metavar: 'LEVEL', help: 'silent, error, warn, info or debug (log lines go to stderr).', default: 'info' };
/** `--help`, listed by every command. */
export const HELP_FLAG: FlagSpec = { name: 'help', type: 'boolean', help: 'Show this help and exit.' };
const HELP = HELP_FLAG;

/** Flags of `wisp-rx forward`. */
export const FORWARD_FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  { name: 'listen', type: 'string', metavar: 'HOST:PORT', help: 'Local address to accept on; port 0 picks a free one.', default: 'required' },
  { name: 'to', type: 'string', metavar: 'HOST:PORT', help: 'Destination, as the server dials it (the server\'s policy applies).', default: 'required' },
  { name: 'udp', type: 'boolean', help: 'Forward UDP: each local source address:port is one flow (one UDP stream).', default: 'off: TCP' },
  { name: 'reconnect-wait', type: 'string', metavar: 'MS', help: 'While the server is away, how long a new local connection waits for the reconnect before it is closed.', default: '10000' },
  { name: 'udp-idle', type: 'string', metavar: 'MS', help: 'Close a UDP flow after this long without a datagram either way.', default: '60000' },
  LOG_LEVEL,
  HELP,
];

/** Flags of `wisp-rx nc`. */
export const NC_FLAGS: readonly FlagSpec[] = [
  ...CLIENT_FLAGS,
  { name: 'udp', type: 'boolean', help: 'Open a UDP stream: each stdin line is one datagram; datagrams received go to stdout as they are.', default: 'off: TCP' },
  { name: 'quit-after-eof', short: 'q', type: 'string', metavar: 'SECS', help: 'After stdin ends and all of it was sent, close the stream once nothing has arrived for SECS seconds (as netcat -q; 0 quits as soon as stdin is sent).', default: 'off: keep reading until the remote closes' },
  { name: 'close-on-eof', type: 'boolean', help: 'The same as -q 1 (Wisp has no half-close, so the stream stays open a moment for the reply).', default: 'off' },
  { name: 'idle-timeout', short: 'w', type: 'string', metavar: 'SECS', help: 'Close the stream once nothing has moved either way for SECS seconds.', default: 'none' },
  HELP,
];

/** Where and how a client command connects. */
export interface ClientSettings {
  readonly url: string;
  readonly options: ClientMuxOptions;
}

/**
 * Reads {@link CLIENT_FLAGS}.
 * @throws UsageError for a missing or malformed URL, malformed credentials, an unreadable or
 *   bad key file, or credentials together with `--v1`.
 */
export function resolveClientSettings(flags: ParsedFlags): ClientSettings {
  const url = flags.string('server');
  if (url === undefined) throw new UsageError('--server URL is required');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--server: not a URL: ${JSON.stringify(url)}`);
  }
  const byteStream = isLengthDelimitedUrl(url);
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:' && !byteStream) {
    throw new UsageError(`--server: expected ws://, wss://, tcp://HOST:PORT or unix:/path, got ${JSON.stringify(url)}`);
  }
  // tcp:// and unix: carry Wisp length-delimited, which has no subprotocol to offer v2 with.
  const v2 = !flags.has('v1') && !byteStream;
  const extensions: ExtensionBuilder[] = [udp(), motd(), streamConfirmation()];
  const user = flags.string('user');
  if (user !== undefined) extensions.push(password(parseCredentials(user, '--user')));
  const keyFile = flags.string('key');
  if (keyFile !== undefined) extensions.push(keyAuth({ privateKey: readPrivateKeyFile(keyFile, '--key') }));
  if (!v2 && extensions.length > 3) throw new UsageError(byteStream ? '--user and --key need Wisp v2, which tcp:// and unix: servers do not speak' : '--user and --key need Wisp v2: drop --v1');
  const timeoutMs = parseInteger(flags.string('connect-timeout') ?? '10000', '--connect-timeout', 1, MAX_TIMER_MS);
  const caFile = flags.string('ca');
  const tls = {
    ...(caFile !== undefined && { ca: readCaFile(caFile) }),
    ...(flags.has('insecure') && { rejectUnauthorized: false }),
  };
  if ((caFile !== undefined || flags.has('insecure')) && parsed.protocol !== 'wss:') throw new UsageError('--ca and --insecure apply to wss:// servers only');
  const connector = (target: string, protocols: readonly string[]) =>
    byteStream ? connectLengthDelimited(target, { timeoutMs }) : connectWs(target, protocols, { handshakeTimeoutMs: timeoutMs, ...tls });
  return { url, options: { v2, extensions, connector, handshakeTimeoutMs: timeoutMs } };
}

/**
 * {@link describeError} for a failed connection to `url`, without repeating the
 * "cannot connect to URL" that the transport's message starts with and the caller prints.
 */
export function describeConnectError(error: unknown, url: string): string {
  const text = describeError(error);
  const prefix = `cannot connect to ${url}: `;
  const at = text.indexOf(prefix);
  return at === -1 ? text : text.slice(0, at) + text.slice(at + prefix.length);
}

/** One-line description of a failure, with the Wisp close reason when there is one. */
export function describeError(error: unknown): string {
  if (isWispError(error)) {
    const reason = error.reason === undefined ? '' : closeReasonName(error.reason);
    return `${error.code}: ${error.message}${error.message.includes(reason) ? '' : ` (${reason})`}`;
  }
  return error instanceof Error ? error.message : String(error);
}
