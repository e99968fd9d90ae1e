import type { OperatorFunction } from '../../rx.js';
import type { Packet } from '../packet/types.js';
import { authenticateWith } from './authenticate-with.js';
import { readClientInfo } from './read-client-info.js';
import { grant } from './grant.js';
import { serverHandshakeDirect } from './server-v2-direct.js';
import { chain, handshakePhase } from './phase.js';
import type { HandshakeResult } from './result.js';
import type { ServerV2Options } from './server-v2-options.js';

export type { ServerV2Options } from './server-v2-options.js';

/**
 * Server side of the Wisp v2 handshake, as stages: `readClientInfo` (send INFO, read
 * and check the client's), `authenticateWith` for each extension that authenticates,
 * then `grant` (CONTINUE(0, bufferSize)). A refusal sends CLOSE(0, reason) and errors
 * with the matching code (`PasswordExtensionCredsInvalid`, `CertAuthExtensionSigInvalid`,
 * `AuthRequired`, `ExtensionsNotSupported`, `HandshakeTimeout`, …). Emits a
 * {@link HandshakeResult}, then any packets the client sent early, then the rest. When no
 * extension authenticates, `serverHandshakeDirect` does the same in one operator.
 */
export function serverHandshakeV2(options: ServerV2Options): OperatorFunction<Packet, Packet | HandshakeResult> {
  // Without an authenticating extension every authenticateWith stage would be identity.
  return options.extensions.some((e) => e.authenticate !== undefined) ? serverHandshakeStages(options) : serverHandshakeDirect(options);
}

/** {@link serverHandshakeV2} as the stage pipeline, whatever the extensions. */
export function serverHandshakeStages(options: ServerV2Options): OperatorFunction<Packet, Packet | HandshakeResult> {
  const authenticating = options.extensions.filter((e) => e.authenticate !== undefined);
  return handshakePhase({ timeoutMs: options.timeoutMs, scheduler: options.scheduler, send: options.send, refuseOverflow: true, firstStep: "the client's INFO" }, (context) =>
    chain(readClientInfo(context, options.extensions, options.requiredExtensions ?? []), [
      ...authenticating.map((e) => authenticateWith(context, e)),
      grant(context, options.bufferSize),
    ]),
  );
}
