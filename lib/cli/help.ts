/**
 * Help texts of `wisp-rx` and its commands. Option lines are generated from the flag
 * tables, so every flag is documented, with its default.
 * @module
 */
import { FORWARD_FLAGS, NC_FLAGS } from './client-options.js';
import type { FlagSpec } from './flags.js';
import { SERVE_FLAGS, SERVE_OPTIONS } from './serve-options.js';

const WIDTH = 100;
const COLUMN = 34;

/** Joins words that must stay on one line (a label and its value). */
const NBSP = '\u00a0';

/** Wraps `text` to {@link WIDTH} columns, continuation lines indented by `indent`; {@link NBSP} does not break. */
function wrap(text: string, indent: number, first = indent): string {
  const lines: string[] = [];
  let line = ' '.repeat(first);
  for (const word of text.split(/[ \t\n]+/)) {
    if (line.trim() !== '' && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(indent);
    }
    line += (line.trim() === '' ? '' : ' ') + word;
  }
  return [...lines, line].join('\n').replaceAll(NBSP, ' ');
}

function flagLines(flags: readonly FlagSpec[]): string {
  const out: string[] = [];
  let group: string | undefined;
  for (const flag of flags) {
    const heading = flag.group ?? 'Options';
    if (heading !== group) {
      group = heading;
      out.push('', `${heading}:`);
    }
    const name = `  ${flag.short ? `-${flag.short}, ` : ''}--${flag.name}${flag.metavar ? ` ${flag.metavar}` : ''}`;
    const suffix = flag.default === undefined ? '' : flag.default === 'required' ? ' Required.' : ` Default:${NBSP}${flag.default.replaceAll(' ', NBSP)}.`;
    const text = wrap(flag.help + suffix, COLUMN);
    out.push(name.length < COLUMN ? name.padEnd(COLUMN) + text.slice(COLUMN) : `${name}\n${text}`);
  }
  return out.join('\n');
}

/** A command's help: usage, description, options, examples (as written), then notes (wrapped). */
export function page(usage: string, about: string, flags: readonly FlagSpec[], examples: readonly string[], notes: readonly string[]): string {
  const allNotes = [...notes, '--version (with any command) prints the version and exits.'];
  const blocks = [`Usage: ${usage}\n\n${wrap(about, 0)}\n${flagLines(flags)}`, `Examples:\n${examples.map((e) => `  ${e}`).join('\n')}`, ...allNotes.map((n) => wrap(n, 2, 0))];
  return `${blocks.join('\n\n')}\n`;
}

/** `wisp-rx --help`. */
export function mainHelp(): string {
  return `Usage: wisp-rx [COMMAND] [options]

Commands:
  serve     Run a Wisp gateway (the default command).
  forward   Forward a local TCP or UDP port through a Wisp server.
  nc        Connect stdin and stdout to one stream through a Wisp server.
  tunnel    TCP over one smux connection (Go xtaci/smux compatible): tunnel server|client.
  keygen    Make an Ed25519 key pair for key auth (--key, --key-file).
  help      Show this help.

Run "wisp-rx COMMAND --help" for a command's options; "wisp-rx --version" prints the version.
`;
}

/** `wisp-rx serve --help`. */
export function serveHelp(): string {
  const top = SERVE_OPTIONS.filter((o) => !o.key.startsWith('policy.')).map((o) => o.key);
  const policy = SERVE_OPTIONS.filter((o) => o.key.startsWith('policy.')).map((o) => o.key.slice('policy.'.length));
  return page(
    'wisp-rx serve [options]',
    'Runs a Wisp gateway (v1 and v2): each WebSocket connection under --prefix carries TCP and UDP streams, dialed under the destination policy. ' +
      'Prints "listening on ws://HOST:PORT/PREFIX" on stdout when ready; log lines go to stderr and never contain credentials. ' +
      'SIGINT or SIGTERM: stop accepting, close every connection (CLOSE, reason Voluntary), exit 0 within the grace period. SIGUSR2: print a stats line.',
    SERVE_FLAGS,
    [
      'wisp-rx serve --host 0.0.0.0 --port 8080 --prefix /wisp/ --users-file users.txt',
      'wisp-rx serve --config wisp.json --log-level debug --stats-interval 60',
      'wisp-rx serve --allow-private --port-allow 22,80,443 --workers 4',
    ],
    [
      `Config file (--config FILE): a JSON object with the keys ${top.join(', ')}, and "policy": an object with ${policy.join(', ')}. ` +
        'Ports are "80,443,8000-9000" or a list of ports, strings and { "from": 8000, "to": 9000 }; "passwords" is { "name": "password" }; ' +
        '"publicKeys" lists keys as hex or base64; "usersFile" and "keyFiles" are paths, relative to the config file. ' +
        'Each flag given on the command line replaces the file\'s value for that setting (lists included).',
      'Exit codes: 0 stopped by a signal; 1 could not start (e.g. the port is taken); 2 invalid options.',
    ],
  );
}

/** `wisp-rx forward --help`. */
export function forwardHelp(): string {
  return page(
    'wisp-rx forward --server URL --listen HOST:PORT --to HOST:PORT [--udp] [--user NAME:PASS] [--key FILE] [--v1]',
    'Forwards a local port through a Wisp server over one shared connection: every local TCP connection is one stream; with --udp, every local source address:port is one UDP flow, and replies go back to it. ' +
      'When the server goes away, reconnects with backoff (100 ms doubling to 10 s, reset on success). Prints "listening on HOST:PORT" on stdout when ready.',
    FORWARD_FLAGS,
    [
      'wisp-rx forward --server ws://127.0.0.1:4000/ --listen 127.0.0.1:8080 --to example.com:80',
      'wisp-rx forward --server wss://gw.example/wisp/ --key client.key --udp --listen 127.0.0.1:5353 --to 1.1.1.1:53',
    ],
    [
      'Exit codes: 0 stopped by SIGINT/SIGTERM; 1 the first connection to the server failed (the reason is printed, e.g. PasswordInvalid (0xc0)); 2 invalid options.',
    ],
  );
}

/** `wisp-rx nc --help`. */
export function ncHelp(): string {
  return page(
    'wisp-rx nc --server URL [--udp] [--user NAME:PASS] [--key FILE] [--v1] HOST PORT',
    'Opens one stream to HOST:PORT through a Wisp server and connects it to stdin and stdout (binary-safe). Exits when the stream closes.',
    NC_FLAGS,
    [
      'printf "GET / HTTP/1.0\\r\\nHost: example.com\\r\\n\\r\\n" | wisp-rx nc --server ws://127.0.0.1:4000/ example.com 80',
      'echo hello | wisp-rx nc --server ws://127.0.0.1:4000/ --udp --user alice:secret 192.0.2.7 7',
    ],
    [
      'Exit codes: 0 the stream closed normally (Voluntary); 1 the stream was refused or failed, or the connection failed (the reason is printed, e.g. "stream closed: HostBlocked (0x48)"); 2 invalid options.',
    ],
  );
}

