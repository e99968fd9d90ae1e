/**
 * Every setting of `wisp-rx serve`: its config file key, its flag, how its value is read,
 * and its help line. The parser, the config file loader and `--help` all work from this table.
 * @module
 */
import type { FlagSpec } from './flags.js';
import { MAX_TIMER_MS as MAX_MS } from './values.js';

/** How a setting's value is read (from a flag's text or a config file's JSON value). */
export type OptionKind =
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'bool' | 'string' | 'strings' | 'ports' | 'level' | 'users' | 'usersFile' | 'keyFiles' | 'keys' | 'file' | 'mode' };

/** One setting of `wisp-rx serve`. */
export interface ServeOption {
  /** Config file key; `policy.`-prefixed keys live in the file's nested `policy` object. */
  readonly key: string;
  readonly kind: OptionKind;
  /** The flag that sets it; absent for config-file-only settings. */
  readonly flag?: FlagSpec;
  /** For a boolean flag: the value giving the flag sets. */
  readonly flagValue?: boolean;
}

const int = (min: number, max: number): OptionKind => ({ type: 'int', min, max });
const bool: OptionKind = { type: 'bool' };

function option(key: string, kind: OptionKind, group: string, flag: Omit<FlagSpec, 'type' | 'group'>, flagValue?: boolean): ServeOption {
  const type = kind.type === 'bool' ? 'boolean' : ['strings', 'users', 'keyFiles'].includes(kind.type) ? 'list' : 'string';
  return { key, kind, flag: { ...flag, type, group }, ...(flagValue === undefined ? {} : { flagValue }) };
}

const LISTEN = 'Listening';
const OPS = 'Observability, DNS and sharing between gateways';
const POLICY = 'Destination policy (checked on the CONNECT and on every resolved address)';
const LIMITS = 'Limits and timeouts';
const AUTH = 'Protocol and authentication';
const RUN = 'Running';

/** The settings, in help order. */
export const SERVE_OPTIONS: readonly ServeOption[] = [
  option('host', { type: 'string' }, LISTEN, { name: 'host', metavar: 'ADDR', help: 'Address to listen on.', default: '127.0.0.1' }),
  option('port', int(0, 65535), LISTEN, { name: 'port', metavar: 'PORT', help: 'Port to listen on; 0 picks a free one.', default: '4000' }),
  option('prefix', { type: 'string' }, LISTEN, { name: 'prefix', metavar: 'PATH', help: 'WebSocket path that speaks Wisp; starts and ends with /.', default: '/' }),
  option('trustedProxies', { type: 'strings' }, LISTEN, { name: 'trusted-proxy', metavar: 'ADDR', help: 'Reverse proxy (address or CIDR) whose X-Forwarded-For is believed; repeatable.', default: 'none' }),
  option('workers', int(1, 256), LISTEN, { name: 'workers', metavar: 'N', help: 'Processes sharing the port (node:cluster); dead workers are restarted. Connection and login limits hold across workers.', default: '1' }),
  option('listen', { type: 'string' }, LISTEN, { name: 'listen', metavar: 'ADDR', help: 'Listen on HOST:PORT or unix:/path instead of --host/--port.', default: '--host:--port' }),
  option('socketMode', { type: 'mode' }, LISTEN, { name: 'socket-mode', metavar: 'MODE', help: 'File mode of a unix: socket, in octal (e.g. 660).', default: 'as the umask leaves it' }),
  option('tlsCert', { type: 'file' }, LISTEN, { name: 'tls-cert', metavar: 'FILE', help: 'Serve TLS (wss://) with this PEM certificate (chain); with --tls-key. SIGHUP reloads both.', default: 'none: plain ws://' }),
  option('tlsKey', { type: 'file' }, LISTEN, { name: 'tls-key', metavar: 'FILE', help: 'The PEM private key of --tls-cert.', default: 'none' }),
  option('transport', { type: 'string' }, LISTEN, { name: 'transport', metavar: 'KIND', help: 'websocket, or length-delimited: Wisp over plain TCP or a Unix socket, each packet behind its u32 LE length (v1).', default: 'websocket' }),
  option('wsproxy', bool, LISTEN, { name: 'wsproxy', help: 'Also accept wsproxy: a WebSocket to PREFIX/host:port is one raw TCP connection (same policy and limits).', default: 'off' }, true),

  option('policy.allowLoopback', bool, POLICY, { name: 'allow-loopback', help: 'Allow loopback targets (127.0.0.0/8, ::1).', default: 'off' }, true),
  option('policy.allowPrivate', bool, POLICY, { name: 'allow-private', help: 'Allow private targets (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10).', default: 'off' }, true),
  option('policy.allowLinkLocal', bool, POLICY, { name: 'allow-link-local', help: 'Allow link-local targets (169.254/16, fe80::/10) and cloud metadata addresses.', default: 'off' }, true),
  option('policy.allowDirectIp', bool, POLICY, { name: 'no-direct-ip', help: 'Refuse IP literals as target hosts (names only).', default: 'off: literals allowed' }, false),
  option('policy.allowTcp', bool, POLICY, { name: 'no-tcp', help: 'Refuse TCP streams.', default: 'off: TCP allowed' }, false),
  option('policy.allowUdp', bool, POLICY, { name: 'no-udp', help: 'Refuse UDP streams and do not offer the UDP extension.', default: 'off: UDP allowed' }, false),
  option('policy.hostAllow', { type: 'strings' }, POLICY, { name: 'host-allow', metavar: 'PATTERN', help: 'Only these hosts (example.com or *.example.com); repeatable.', default: 'any host' }),
  option('policy.hostDeny', { type: 'strings' }, POLICY, { name: 'host-deny', metavar: 'PATTERN', help: 'Refuse these hosts; repeatable; ignored with --host-allow.', default: 'none' }),
  option('policy.portAllow', { type: 'ports' }, POLICY, { name: 'port-allow', metavar: 'PORTS', help: 'Only these ports, e.g. "80,443,8000-9000".', default: 'any port' }),
  option('policy.portDeny', { type: 'ports' }, POLICY, { name: 'port-deny', metavar: 'PORTS', help: 'Refuse these ports; ignored with --port-allow.', default: 'none' }),

  option('bufferSize', int(1, 0xffffffff), LIMITS, { name: 'buffer-size', metavar: 'PACKETS', help: 'Per-stream credit granted to clients, in packets.', default: '128' }),
  option('maxStreamsPerConnection', int(1, 0xfffffffe), LIMITS, { name: 'max-streams', metavar: 'N', help: 'Streams one connection may hold open (more get 0x49).', default: '256' }),
  option('maxConnectionsPerClient', int(1, Number.MAX_SAFE_INTEGER), LIMITS, { name: 'max-connections-per-client', metavar: 'N', help: 'Connections one client address may hold (more get HTTP 429).', default: '32' }),
  option('handshakeTimeoutMs', int(1, MAX_MS), LIMITS, { name: 'handshake-timeout', metavar: 'MS', help: 'A Wisp handshake must finish within this.', default: '10000' }),
  option('connectTimeoutMs', int(1, MAX_MS), LIMITS, { name: 'connect-timeout', metavar: 'MS', help: 'Dialing a target must finish within this (else 0x43).', default: '10000' }),
  option('idleTimeoutMs', int(0, MAX_MS), LIMITS, { name: 'idle-timeout', metavar: 'MS', help: 'Close a stream without traffic for this long (0x47); 0: never.', default: '600000' }),
  option('maxPacketSize', int(64, 2 ** 30), LIMITS, { name: 'max-packet-size', metavar: 'BYTES', help: 'Largest WebSocket message accepted; larger ones end the connection (1009). Browser clients send a request body as one message.', default: '16777216' }),
  option('maxQueuedBytes', int(1, Number.MAX_SAFE_INTEGER), LIMITS, { name: 'max-queued-bytes', metavar: 'BYTES', help: 'Bytes one connection may have waiting for slow targets before reading it pauses.', default: '67108864' }),
  option('maxOutputBacklog', int(1, Number.MAX_SAFE_INTEGER), LIMITS, { name: 'max-output-backlog', metavar: 'BYTES', help: "Reply bytes one connection may queue past the send buffer's mark before reading it pauses.", default: '262144' }),
  option('outputStallTimeoutMs', int(0, MAX_MS), LIMITS, { name: 'output-stall-timeout', metavar: 'MS', help: "Close (0x49) a connection whose unread replies keep reading paused this long; 0: never.", default: '30000' }),
  option('connectionIdleTimeoutMs', int(0, MAX_MS), LIMITS, { name: 'connection-idle-timeout', metavar: 'MS', help: "Close a connection that has had no open stream for this long (v1 and v2); 0: never.", default: '120000' }),
  option('httpHeadersTimeoutMs', int(1, MAX_MS), LIMITS, { name: 'http-headers-timeout', metavar: 'MS', help: "An HTTP request must send its headers within this (else 408).", default: '60000' }),
  option('httpRequestTimeoutMs', int(1, MAX_MS), LIMITS, { name: 'http-request-timeout', metavar: 'MS', help: "A plain HTTP request must arrive whole within this.", default: '60000' }),
  option('authMaxFailures', int(0, Number.MAX_SAFE_INTEGER), LIMITS, { name: 'auth-max-failures', metavar: 'N', help: "Failed logins one address may make per --auth-failure-window before it is locked out (0x49); 0: no limit.", default: '10' }),
  option('authFailureWindowMs', int(1, MAX_MS), LIMITS, { name: 'auth-failure-window', metavar: 'MS', help: "The window failed logins are counted over.", default: '60000' }),
  option('authLockoutMs', int(1, MAX_MS), LIMITS, { name: 'auth-lockout', metavar: 'MS', help: "How long an address that reached --auth-max-failures is refused.", default: '300000' }),
  option('dialsPerTurn', int(1, 1_000_000), LIMITS, { name: 'dials-per-turn', metavar: 'N', help: "Target dials and credential checks per event-loop turn, round-robin across connections.", default: '64' }),
  option('maxDialsPerConnection', int(1, 1_000_000), LIMITS, { name: 'max-dials-per-connection', metavar: 'N', help: "Target dials one connection may have in progress (resolving or connecting); the rest wait their turn.", default: '1024' }),
  option('maxDialsInFlight', int(1, 1_000_000), LIMITS, { name: 'max-dials-in-flight', metavar: 'N', help: "Target dials the gateway may have in progress over all connections; freed slots go round-robin.", default: '4096' }),

  option('v1Only', bool, AUTH, { name: 'v1-only', help: 'Speak only Wisp v1, even to clients offering v2.', default: 'off' }, true),
  option('motd', { type: 'string' }, AUTH, { name: 'motd', metavar: 'TEXT', help: 'Message of the day sent to v2 clients.', default: 'none' }),
  option('passwords', { type: 'users' }, AUTH, { name: 'user', metavar: 'NAME:PASS', help: 'Accept this user (password extension); repeatable. Prefer --users-file: arguments are visible to ps.', default: 'none' }),
  option('usersFile', { type: 'usersFile' }, AUTH, { name: 'users-file', metavar: 'FILE', help: 'Users file: one name:password per line, # comments.', default: 'none' }),
  option('keyFiles', { type: 'keyFiles' }, AUTH, { name: 'key-file', metavar: 'FILE', help: 'Ed25519 public keys allowed in (key extension), hex or base64, one per line; repeatable.', default: 'none' }),
  { key: 'publicKeys', kind: { type: 'keys' } },
  option('authRequired', bool, AUTH, { name: 'no-auth-required', help: 'With users or keys: also let in clients that do not authenticate.', default: 'off: auth required' }, false),

  option('metrics', { type: 'string' }, OPS, { name: 'metrics', metavar: 'HOST:PORT', help: 'Serve Prometheus metrics (/metrics), stats (/stats.json) and a status page (/) here.', default: 'off' }),
  option('metricsPath', { type: 'string' }, OPS, { name: 'metrics-path', metavar: 'PATH', help: 'Serve them on the gateway\'s own listener under PATH (e.g. /_wisp/) instead.', default: 'off' }),
  option('metricsAllow', { type: 'strings' }, OPS, { name: 'metrics-allow', metavar: 'ADDR', help: 'Address or CIDR block allowed to read metrics; repeatable.', default: 'loopback only' }),
  option('dnsServers', { type: 'strings' }, OPS, { name: 'dns-server', metavar: 'IP', help: 'Resolve targets through this DNS server (IP or IP:PORT), with a TTL cache; repeatable.', default: 'the system resolver' }),
  option('dnsOrder', { type: 'string' }, OPS, { name: 'dns-order', metavar: 'ORDER', help: 'ipv4first, ipv6first or verbatim: which addresses are tried first.', default: 'verbatim' }),
  option('ipv6', bool, OPS, { name: 'no-ipv6', help: 'Never resolve or dial IPv6 addresses for names.', default: 'off: IPv6 used' }, false),
  option('redis', { type: 'string' }, OPS, { name: 'redis', metavar: 'URL', help: 'Share per-client connection limits and failed-login counts with the other gateways using this Redis.', default: 'off' }),

  option('logLevel', { type: 'level' }, RUN, { name: 'log-level', metavar: 'LEVEL', help: 'silent, error, warn, info (one line per connection and stream) or debug.', default: 'info' }),
  option('statsInterval', int(0, 86_400), RUN, { name: 'stats-interval', metavar: 'SECONDS', help: 'Print a stats line (connections, streams, bytes each way) this often; 0: off. SIGUSR2 prints one at any time.', default: '0' }),
  option('shutdownGraceMs', int(0, 600_000), RUN, { name: 'shutdown-grace', metavar: 'MS', help: 'On SIGINT/SIGTERM, wait this long for connections to close before cutting them.', default: '5000' }),
];

/** Flags of `serve` that are not settings. */
export const SERVE_EXTRA_FLAGS: readonly FlagSpec[] = [
  { name: 'config', type: 'string', metavar: 'FILE', group: RUN, help: 'JSON config file (settings by their GatewayOptions names); flags win over it.', default: 'none' },
  { name: 'print-config', type: 'boolean', group: RUN, help: 'Print the effective configuration as JSON (secrets redacted) and exit.' },
  { name: 'help', type: 'boolean', group: RUN, help: 'Show this help and exit.' },
];

/** Every flag `serve` accepts, in help order. */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  ...SERVE_OPTIONS.flatMap((o) => (o.flag ? [o.flag] : [])),
  ...SERVE_EXTRA_FLAGS,
];
