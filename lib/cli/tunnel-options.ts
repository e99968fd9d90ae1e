/**
 * Flags and help of `wisp-rx tunnel`: the common ones, then every registered tunnel
 * protocol's own (smux's, yamux's and net-mux's, from the registry in lib/tunnel).
 * @module
 */
import { tunnelProtocolNames, tunnelProtocolOptions } from '../tunnel/registry.js';
import type { FlagSpec } from './flags.js';
import { page } from './help.js';

/** Flags of `wisp-rx tunnel server|client`. */
export function tunnelFlags(): FlagSpec[] {
  return [
    { name: 'protocol', type: 'string', metavar: 'NAME', help: `Multiplexing protocol: ${tunnelProtocolNames().join(', ')}.`, default: 'smux' },
    { name: 'listen', type: 'string', metavar: 'HOST:PORT', help: 'server: where tunnel clients connect. client: local address whose connections become streams (forward mode). Port 0 picks a free one.' },
    { name: 'to', type: 'string', metavar: 'HOST:PORT', help: 'Where streams the other end opens are connected (server: forward mode; client: reverse mode).' },
    { name: 'server', type: 'string', metavar: 'HOST:PORT', help: 'client: the tunnel server to connect to.' },
    { name: 'expose', type: 'string', metavar: 'HOST:PORT', help: 'server: local address whose connections become streams opened toward the newest client (reverse mode).' },
    { name: 'reconnect-wait', type: 'string', metavar: 'MS', help: 'client: while the server is away, how long a new local connection waits for the reconnect.', default: '10000' },
    { name: 'connect-timeout', type: 'string', metavar: 'MS', help: 'client: give up on a TCP connection to the server that takes longer.', default: '10000' },
    { name: 'log-level', type: 'string', metavar: 'LEVEL', help: 'silent, error, warn, info or debug (log lines go to stderr).', default: 'info' },
    { name: 'stats-interval', type: 'string', metavar: 'SECONDS', help: 'Print a stats line (tunnel connections, streams, bytes each way) this often; 0: off. SIGUSR2 prints one at any time.', default: '0' },
    ...tunnelProtocolOptions().map((o): FlagSpec => ({ name: o.name, type: 'string', metavar: o.metavar, help: o.help, default: o.default, group: 'Protocol options' })),
    { name: 'help', type: 'boolean', help: 'Show this help and exit.' },
  ];
}

/** `wisp-rx tunnel --help`. */
export function tunnelHelp(): string {
  return page(
    'wisp-rx tunnel server|client --protocol smux|yamux|net-mux [options]',
    'A TCP tunnel over one multiplexed connection, wire-compatible with Go xtaci/smux (kcptun and friends). ' +
      '"tunnel server --listen A --to T": every stream a client opens is connected to T. ' +
      '"tunnel client --server A --listen L": every TCP connection to L becomes a stream. ' +
      'Reverse mode: "tunnel server --listen A --expose E" and "tunnel client --server A --to T": connections to E reach T through the client. ' +
      'The client reconnects with backoff (100 ms doubling to 10 s, reset on success). Prints "listening on HOST:PORT" on stdout when ready ' +
      '(the server: its --listen address; the client: its --listen address, or the server it connected to).',
    tunnelFlags(),
    [
      'wisp-rx tunnel server --protocol smux --listen 0.0.0.0:4000 --to 127.0.0.1:22',
      'wisp-rx tunnel client --protocol smux --server gw.example:4000 --listen 127.0.0.1:2222',
      'wisp-rx tunnel server --smux-version 2 --listen 0.0.0.0:4000 --expose 127.0.0.1:8080',
      'wisp-rx tunnel client --smux-version 2 --server gw.example:4000 --to 127.0.0.1:80',
    ],
    [
      'Both ends must use the same --protocol and version (--smux-version, --yamux-version), and a keepalive timeout no shorter than the other end\'s interval (Go\'s default interval is 10 s).',
      'Exit codes: 0 stopped by SIGINT/SIGTERM; 1 could not listen, or the client\'s first connection failed; 2 invalid options.',
    ],
  );
}
