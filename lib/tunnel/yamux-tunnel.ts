/**
 * The yamux family as tunnel protocols: `--protocol yamux` (hashicorp/yamux, version byte
 * 0, or 1 with `--yamux-version 1`) and `--protocol net-mux` (version 1), with keepalive,
 * frame size and window options.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import type { Role } from '../core/protocol.js';
import { YamuxSession } from '../yamux/session.js';
import { YAMUX_INITIAL_WINDOW, resolveYamuxConfig } from '../yamux/config.js';
import type { Transport } from '../transport/transport.js';
import { integerOption as integer, type TunnelOption, type TunnelProtocol, type TunnelSession } from './types.js';


const COMMON: readonly TunnelOption[] = [
  { name: 'keepalive-interval', metavar: 'MS', help: 'Ping this often; 0 turns keepalive off (sending and checking).', default: '10000' },
  { name: 'keepalive-timeout', metavar: 'MS', help: 'Drop the connection when nothing at all arrived for this long (> the interval).', default: '30000' },
  { name: 'max-frame-size', metavar: 'BYTES', help: 'Largest data frame sent.', default: String(64 * 1024) },
  { name: 'window', metavar: 'BYTES', help: 'Per-stream receive window (version 0: at least 256 KiB).', default: String(YAMUX_INITIAL_WINDOW) },
];

function yamuxTunnel(name: string, fixedVersion: 0 | 1 | undefined): TunnelProtocol {
  const options = fixedVersion === undefined ? [{ name: 'yamux-version', metavar: '0|1', help: '0: hashicorp/yamux; 1: net-mux 1.0. Both ends must agree.', default: '0' }, ...COMMON] : COMMON;
  return {
    name,
    options,
    configure(value) {
      const version = fixedVersion ?? integer(value('yamux-version'), 'yamux-version') ?? 0;
      if (version !== 0 && version !== 1) throw new WispError('InvalidArgument', `--yamux-version: expected 0 or 1, got ${version}`);
      const interval = integer(value('keepalive-interval'), 'keepalive-interval') ?? 10_000;
      const timeout = integer(value('keepalive-timeout'), 'keepalive-timeout') ?? 30_000;
      const config = resolveYamuxConfig({
        version,
        keepalive: interval === 0 ? false : { intervalMs: interval, timeoutMs: timeout },
        ...optional('maxFrame', integer(value('max-frame-size'), 'max-frame-size')),
        ...optional('window', integer(value('window'), 'window')),
      });
      return async (role: Role, transport: Transport): Promise<TunnelSession> =>
        role === 'client' ? YamuxSession.client(transport, config) : YamuxSession.server(transport, config);
    },
  };
}

const optional = <K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;

/** `--protocol yamux` (version 0 by default). */
export const yamuxTunnelProtocol = yamuxTunnel('yamux', undefined);
/** `--protocol net-mux`: yamux version 1. */
export const netMuxTunnelProtocol = yamuxTunnel('net-mux', 1);
