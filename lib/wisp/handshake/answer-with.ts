import type { OperatorFunction } from '../../rx.js';
import type { ProtocolExtension } from '../extensions/extension.js';
import type { HandshakeContext } from './context.js';
import type { HandshakeValue } from './negotiation.js';
import { negotiationStage } from './stage.js';
import { then } from './steps.js';

/**
 * Client: one extension's answer as a stage. When the extension was agreed, it makes its
 * record of this side's INFO from the server's metadata (answering a challenge; may be
 * async, as signing is). Packets wait behind it meanwhile.
 */
export function answerWith(context: HandshakeContext, extension: ProtocolExtension): OperatorFunction<HandshakeValue, HandshakeValue> {
  return negotiationStage(context, (negotiation) => {
    if (!negotiation.agreed.includes(extension)) return negotiation;
    return then(extension.encodeMetadata(negotiation.peerMetadata.get(extension.id)), (metadata) => ({
      ...negotiation,
      answers: [...negotiation.answers, { id: extension.id, metadata }],
    }));
  });
}
