/**
 * The protocols `wisp-rx tunnel` can speak, by name. A protocol brings its session factory
 * and its own options (flags); smux is registered here, and yamux can be added the same way
 * with {@link registerTunnelProtocol}. Protocol-neutral: a session is anything with the shape
 * of {@link TunnelSession} (SmuxSession is one).
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import { smuxTunnelProtocol } from './smux-tunnel.js';
import { netMuxTunnelProtocol, yamuxTunnelProtocol } from './yamux-tunnel.js';
import type { TunnelOption, TunnelProtocol } from './types.js';

export type { TunnelOption, TunnelProtocol, TunnelSession } from './types.js';

const protocols = new Map<string, TunnelProtocol>([smuxTunnelProtocol, yamuxTunnelProtocol, netMuxTunnelProtocol].map((p) => [p.name, p]));

/** Adds (or replaces) a protocol under its name. */
export function registerTunnelProtocol(protocol: TunnelProtocol): void {
  protocols.set(protocol.name, protocol);
}

/** The protocol registered under `name`. @throws {WispError} `InvalidArgument` when there is none. */
export function tunnelProtocol(name: string): TunnelProtocol {
  const protocol = protocols.get(name);
  if (!protocol) throw new WispError('InvalidArgument', `unknown tunnel protocol ${JSON.stringify(name)} (known: ${tunnelProtocolNames().join(', ')})`);
  return protocol;
}

/** Every registered name. */
export function tunnelProtocolNames(): string[] {
  return [...protocols.keys()];
}

/** Every registered protocol's options, each once (for the help text and the flag parser). */
export function tunnelProtocolOptions(): TunnelOption[] {
  const seen = new Map<string, TunnelOption>();
  for (const protocol of protocols.values()) for (const option of protocol.options) if (!seen.has(option.name)) seen.set(option.name, option);
  return [...seen.values()];
}
