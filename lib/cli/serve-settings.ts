/**
 * Turns `wisp-rx serve` flags and an optional config file into checked settings: the
 * config file first, then every flag given replaces the file's value for its setting
 * (lists included). Everything is validated here, before a port is opened or a worker forked.
 * @module
 */
import * as path from 'node:path';
import { isWispError } from '../errors.js';
import { parsePublicKey } from '../wisp/extensions/key-auth.js';
import { TrustedProxies } from '../server/client-limits.js';
import { resolveGatewayOptions, type GatewayOptions } from '../server/gateway-options.js';
import { readTls } from '../server/listeners.js';
import type { LogLevel } from '../server/logger.js';
import { assertValidPolicy, parsePortRanges, type PortRange } from '../server/policy.js';
import { loadConfigFile } from './config-file.js';
import { readPublicKeysFile, readUsersFile } from './credentials.js';
import type { ParsedFlags } from './flags.js';
import { SERVE_OPTIONS, type OptionKind } from './serve-options.js';
import { UsageError } from './cli-error.js';
import { parseCredentials, parseInteger, parseJsonInteger, parseLogLevel } from './values.js';

/** What `wisp-rx serve` runs with. */
export interface ServeSettings {
  /** For the gateway (without a logger). */
  readonly gateway: GatewayOptions;
  readonly logLevel: LogLevel;
  /** Seconds between stats lines; 0 = none. */
  readonly statsIntervalS: number;
  readonly workers: number;
  readonly shutdownGraceMs: number;
}

const BY_KEY = new Map(SERVE_OPTIONS.map((o) => [o.key, o]));

/**
 * Reads the config file (`--config`) and the flags into {@link ServeSettings}.
 * @throws UsageError naming the flag or the file and key of the first bad value.
 */
export function resolveServeSettings(flags: ParsedFlags): ServeSettings {
  const values = new Map<string, unknown>();
  const configFile = flags.string('config');
  if (configFile !== undefined) {
    const config = loadConfigFile(configFile, new Set(BY_KEY.keys()));
    for (const [key, raw] of config.entries) values.set(key, convert(BY_KEY.get(key)!.kind, raw, `${config.file}: ${key}`, config.dir));
  }
  for (const { key, kind, flag, flagValue } of SERVE_OPTIONS) {
    if (!flag || !flags.has(flag.name)) continue;
    const raw = flag.type === 'list' ? flags.list(flag.name) : flags.string(flag.name);
    values.set(key, kind.type === 'bool' ? flagValue : convert(kind, raw, `--${flag.name}`));
  }
  const get = <T>(key: string): T | undefined => values.get(key) as T | undefined;
  const policy = Object.fromEntries([...values].filter(([k]) => k.startsWith('policy.')).map(([k, v]) => [k.slice('policy.'.length), v]));
  const users = { ...get<Record<string, string>>('passwords'), ...get<Record<string, string>>('usersFile') };
  const publicKeys = [...(get<Uint8Array[]>('publicKeys') ?? []), ...(get<Uint8Array[]>('keyFiles') ?? [])];
  const gateway: GatewayOptions = {
    host: get('host'),
    port: get('port'),
    prefix: get('prefix'),
    policy,
    bufferSize: get('bufferSize'),
    maxStreamsPerConnection: get('maxStreamsPerConnection'),
    maxConnectionsPerClient: get('maxConnectionsPerClient'),
    trustedProxies: get('trustedProxies'),
    handshakeTimeoutMs: get('handshakeTimeoutMs'),
    connectTimeoutMs: get('connectTimeoutMs'),
    idleTimeoutMs: get('idleTimeoutMs'),
    maxPacketSize: get('maxPacketSize'),
    maxQueuedBytes: get('maxQueuedBytes'),
    maxOutputBacklog: get('maxOutputBacklog'),
    outputStallTimeoutMs: get('outputStallTimeoutMs'),
    connectionIdleTimeoutMs: get('connectionIdleTimeoutMs'),
    httpHeadersTimeoutMs: get('httpHeadersTimeoutMs'),
    httpRequestTimeoutMs: get('httpRequestTimeoutMs'),
    authMaxFailures: get('authMaxFailures'),
    authFailureWindowMs: get('authFailureWindowMs'),
    authLockoutMs: get('authLockoutMs'),
    dialsPerTurn: get('dialsPerTurn'),
    maxDialsPerConnection: get('maxDialsPerConnection'),
    maxDialsInFlight: get('maxDialsInFlight'),
    v1Only: get('v1Only'),
    motd: get('motd'),
    passwords: Object.keys(users).length > 0 ? users : undefined,
    publicKeys: publicKeys.length > 0 ? publicKeys : undefined,
    authRequired: get('authRequired'),
    listen: get('listen'),
    socketMode: get('socketMode'),
    tls: tlsFiles(get('tlsCert'), get('tlsKey')),
    transport: get('transport'),
    wsproxy: get('wsproxy'),
    metrics: get('metrics'),
    metricsPath: get('metricsPath'),
    metricsAllow: get('metricsAllow'),
    dns: dnsOptions(get('dnsServers'), get('dnsOrder'), get('ipv6')),
    redis: get('redis'),
  };
  validateGateway(gateway);
  return {
    gateway,
    logLevel: get('logLevel') ?? 'info',
    statsIntervalS: get('statsInterval') ?? 0,
    workers: get('workers') ?? 1,
    shutdownGraceMs: get('shutdownGraceMs') ?? 5000,
  };
}

function tlsFiles(cert: string | undefined, key: string | undefined): GatewayOptions['tls'] {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  readTls({ cert, key }); // unreadable files are a usage error now, not a crash at listen
  return { cert, key };
}

function dnsOptions(servers: string[] | undefined, order: string | undefined, ipv6: boolean | undefined): GatewayOptions['dns'] {
  if (servers === undefined && order === undefined && ipv6 === undefined) return undefined;
  if (order !== undefined && !['ipv4first', 'ipv6first', 'verbatim'].includes(order)) {
    throw new UsageError(`--dns-order: expected ipv4first, ipv6first or verbatim, got ${JSON.stringify(order)}`);
  }
  return {
    ...(servers ? { servers } : {}),
    ...(order ? { order: order as 'ipv4first' | 'ipv6first' | 'verbatim' } : {}),
    ...(ipv6 === undefined ? {} : { ipv6 }),
  };
}

/**
 * The effective configuration as `--print-config` shows it: every gateway option with its
 * default applied, as a config file would hold it, with secrets redacted (passwords, and the
 * password in a Redis URL); public keys are shown as a count.
 */
export function printableConfig(settings: ServeSettings): Record<string, unknown> {
  const { passwords, publicKeys, logger: _logger, lookup: _lookup, server: _server, extensions: _extensions, connectionCounter: _c, authStore: _a, tls, dns, socketMode, ...rest } =
    resolveGatewayOptions(settings.gateway);
  const redis = rest.redis === undefined ? undefined : rest.redis.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:[redacted]@');
  // Keyed as a config file is, so the output can be saved as one.
  return {
    ...rest,
    ...(redis === undefined ? {} : { redis }),
    ...(socketMode === undefined ? {} : { socketMode: socketMode.toString(8) }),
    ...(tls ? { tlsCert: tls.cert, tlsKey: tls.key } : {}),
    ...(dns?.servers ? { dnsServers: dns.servers } : {}),
    ...(dns?.order ? { dnsOrder: dns.order } : {}),
    ...(dns?.ipv6 === undefined ? {} : { ipv6: dns.ipv6 }),
    passwords: passwords === undefined ? undefined : typeof passwords === 'function' ? '[validator]' : Object.fromEntries(Object.keys(passwords).map((name) => [name, '[redacted]'])),
    publicKeys: publicKeys?.length ?? 0,
    logLevel: settings.logLevel,
    statsInterval: settings.statsIntervalS,
    workers: settings.workers,
    shutdownGraceMs: settings.shutdownGraceMs,
  };
}

/** Runs the gateway's own checks now, so that a bad setting is a usage error, not a crash later. */
function validateGateway(options: GatewayOptions): void {
  try {
    const resolved = resolveGatewayOptions(options);
    assertValidPolicy(resolved.policy);
    new TrustedProxies([...resolved.trustedProxies]);
  } catch (error) {
    if (isWispError(error, 'InvalidArgument')) throw new UsageError(`invalid setting: ${error.message}`);
    throw error;
  }
}

/**
 * Reads one value (a flag's text or list, or a config file's JSON value) as `kind` says.
 * File paths are relative to `dir` (the config file's directory), or as given for flags.
 */
function convert(kind: OptionKind, value: unknown, label: string, dir?: string): unknown {
  const file = (name: string): string => (dir === undefined ? name : path.resolve(dir, name));
  switch (kind.type) {
    case 'int':
      return (dir === undefined ? parseInteger : parseJsonInteger)(value, label, kind.min, kind.max);
    case 'bool':
      if (typeof value !== 'boolean') throw new UsageError(`${label}: expected true or false`);
      return value;
    case 'string':
      return expectString(value, label);
    case 'strings':
      return expectStrings(value, label);
    case 'level':
      return parseLogLevel(value, label);
    case 'ports':
      return Array.isArray(value) ? value.flatMap((item) => portItem(item, label)) : ports(expectString(value, label), label);
    case 'users':
      return users(value, label);
    case 'usersFile':
      return readUsersFile(file(expectString(value, label)), label);
    case 'keyFiles':
      return expectStrings(value, label).flatMap((name) => readPublicKeysFile(file(name), label));
    case 'file':
      return file(expectString(value, label));
    case 'mode': {
      const text = typeof value === 'number' ? value.toString(8) : expectString(value, label);
      if (!/^0?o?[0-7]{1,4}$/.test(text) || parseInt(text.replace(/^0?o?/, ''), 8) > 0o777) throw new UsageError(`${label}: expected an octal file mode such as 660`);
      return parseInt(text.replace(/^0?o?/, ''), 8);
    }
    case 'keys':
      return expectStrings(value, label).map((text, i) => {
        try {
          return parsePublicKey(text);
        } catch (error) {
          throw new UsageError(`${label}[${i}]: ${(error as Error).message}`);
        }
      });
  }
}

function expectString(value: unknown, label: string): string {
  if (typeof value !== 'string') throw new UsageError(`${label}: expected a string`);
  return value;
}

function expectStrings(value: unknown, label: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new UsageError(`${label}: expected a list of strings`);
  return value;
}

function ports(text: string, label: string): PortRange[] {
  try {
    return parsePortRanges(text);
  } catch (error) {
    throw new UsageError(`${label}: ${(error as Error).message}`);
  }
}

/** A config file's port list item: `"80,443"`, `8080`, or `{ "from": 8000, "to": 9000 }`. */
function portItem(item: unknown, label: string): PortRange[] {
  if (typeof item === 'string') return ports(item, label);
  if (typeof item === 'number') return ports(String(item), label);
  if (typeof item === 'object' && item !== null && 'from' in item && 'to' in item) return ports(`${String(item.from)}-${String(item.to)}`, label);
  throw new UsageError(`${label}: expected "80,443,8000-9000", a port, or { "from": N, "to": M }`);
}

/** `--user NAME:PASS` values, or a config file's `{ "name": "password" }` object. */
function users(value: unknown, label: string): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((text) => {
      const { username, password } = parseCredentials(expectString(text, label), label);
      return [username, password];
    }));
  }
  if (typeof value !== 'object' || value === null) throw new UsageError(`${label}: expected an object of name: password`);
  for (const [name, password] of Object.entries(value)) {
    if (name === '' || typeof password !== 'string') throw new UsageError(`${label}: expected an object of name: password (strings)`);
  }
  return { ...(value as Record<string, string>) };
}
