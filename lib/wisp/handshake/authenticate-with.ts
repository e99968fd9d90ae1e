import type { OperatorFunction } from '../../rx.js';
import { WispError } from '../../errors.js';
import type { ProtocolExtension } from '../extensions/extension.js';
import { CloseReason } from '../packet/close-reason.js';
import type { HandshakeContext } from './context.js';
import type { HandshakeValue } from './negotiation.js';
import { negotiationStage } from './stage.js';
import { refusalError, then } from './steps.js';

/**
 * Server: one extension's authentication as a stage. When the extension was agreed, its
 * `authenticate()` decides: undefined lets the negotiation on, a close reason refuses the
 * client with it, a failure refuses with Unknown. Packets wait behind it meanwhile.
 */
export function authenticateWith(context: HandshakeContext, extension: ProtocolExtension): OperatorFunction<HandshakeValue, HandshakeValue> {
  return negotiationStage(context, (negotiation) => {
    if (extension.authenticate === undefined || !negotiation.agreed.includes(extension)) return negotiation;
    return then(
      extension.authenticate(),
      (reason) => {
        if (reason === undefined) return negotiation;
        context.refuse(reason, refusalError(reason, 'client'));
        return undefined;
      },
      (error) => {
        context.refuse(CloseReason.Unknown, new WispError('HandshakeFailed', `extension ${extension.name} failed`, { cause: error }));
        return undefined;
      },
    );
  });
}
