/**
 * smux as a tunnel protocol: its options (`--smux-version`, keepalive, frame and buffer
 * sizes, with Go's defaults) and its session factory.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import type { Role } from '../core/protocol.js';
import { SmuxSession } from '../smux/session.js';
import { resolveSmuxConfig } from '../smux/config.js';
import { SMUX_GO_DEFAULTS } from '../smux/defaults.js';
import type { Transport } from '../transport/transport.js';
import { integerOption as integer, type TunnelProtocol, type TunnelSession } from './types.js';


/** smux for `wisp-rx tunnel --protocol smux`. */
export const smuxTunnelProtocol: TunnelProtocol = {
  name: 'smux',
  options: [
    { name: 'smux-version', metavar: '1|2', help: 'smux protocol version; both ends must use the same (there is no negotiation).', default: '1' },
    { name: 'keepalive-interval', metavar: 'MS', help: 'Send a keepalive (smux NOP) this often; 0 turns keepalive off (sending and checking).', default: String(SMUX_GO_DEFAULTS.keepAliveInterval) },
    { name: 'keepalive-timeout', metavar: 'MS', help: 'Drop the connection when nothing at all arrived for this long (≥ the interval).', default: String(SMUX_GO_DEFAULTS.keepAliveTimeout) },
    { name: 'max-frame-size', metavar: 'BYTES', help: 'Largest data frame sent (1-65535); any size is accepted.', default: String(SMUX_GO_DEFAULTS.maxFrameSize) },
    { name: 'max-receive-buffer', metavar: 'BYTES', help: 'Received bytes waiting for slow readers, per connection, before reading pauses.', default: String(SMUX_GO_DEFAULTS.maxReceiveBuffer) },
    { name: 'max-stream-buffer', metavar: 'BYTES', help: 'smux v2: the per-stream window announced to the peer.', default: String(SMUX_GO_DEFAULTS.maxStreamBuffer) },
  ],
  configure(value) {
    const version = integer(value('smux-version'), 'smux-version') ?? 1;
    if (version !== 1 && version !== 2) throw new WispError('InvalidArgument', `--smux-version: expected 1 or 2, got ${version}`);
    const interval = integer(value('keepalive-interval'), 'keepalive-interval');
    const config = resolveSmuxConfig({
      version,
      keepAliveDisabled: interval === 0,
      keepAliveInterval: interval,
      keepAliveTimeout: integer(value('keepalive-timeout'), 'keepalive-timeout'),
      maxFrameSize: integer(value('max-frame-size'), 'max-frame-size'),
      maxReceiveBuffer: integer(value('max-receive-buffer'), 'max-receive-buffer'),
      maxStreamBuffer: integer(value('max-stream-buffer'), 'max-stream-buffer'),
    });
    return (role: Role, transport: Transport): Promise<TunnelSession> =>
      role === 'client' ? SmuxSession.client(transport, config) : SmuxSession.server(transport, config);
  },
};
