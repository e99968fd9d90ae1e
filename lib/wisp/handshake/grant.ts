import type { OperatorFunction } from '../../rx.js';
import { encodeContinue } from '../packet/encode.js';
import type { HandshakeContext } from './context.js';
import type { HandshakeValue, Negotiation } from './negotiation.js';
import type { HandshakeResult } from './result.js';
import { negotiationStage } from './stage.js';

/** Server, last stage: the client passed every step; CONTINUE(0, bufferSize) grants it the connection. */
export function grant(context: HandshakeContext, bufferSize: number): OperatorFunction<HandshakeValue, HandshakeValue> {
  return negotiationStage(context, (negotiation) => {
    context.send(encodeContinue(0, bufferSize));
    return granted(negotiation, bufferSize);
  });
}

/** The result of a negotiation the server granted. */
export function granted(negotiation: Negotiation, bufferSize: number): HandshakeResult {
  return { kind: 'handshake', version: { major: 2, minor: negotiation.minor }, bufferSize, downgraded: false, extensions: negotiation.agreed };
}
