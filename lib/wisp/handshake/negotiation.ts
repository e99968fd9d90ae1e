import type { ProtocolExtension } from '../extensions/extension.js';
import type { ExtensionRecord, Packet } from '../packet/types.js';
import type { HandshakeResult } from './result.js';

/**
 * A v2 handshake in progress, as it flows down the stages: what the INFO exchange agreed, and
 * (client) the answering records the stages have made so far. Each stage passes on a new one;
 * the last stage turns it into the {@link HandshakeResult}.
 */
export interface Negotiation {
  readonly kind: 'negotiation';
  /** Minor version in force. */
  readonly minor: number;
  /** Extensions both INFOs list: this side's instances, in this side's order. */
  readonly agreed: readonly ProtocolExtension[];
  /** The peer's metadata, by extension id (its first record of each id). */
  readonly peerMetadata: ReadonlyMap<number, Uint8Array>;
  /** Client: the records of this side's answering INFO, one per agreed extension so far. */
  readonly answers: readonly ExtensionRecord[];
}

/** What flows between handshake stages: the negotiation, then the result, and packets. */
export type HandshakeValue = Packet | Negotiation | HandshakeResult;

export function isNegotiation(value: HandshakeValue): value is Negotiation {
  return (value as Negotiation).kind === 'negotiation';
}

export function isHandshakeResult(value: HandshakeValue): value is HandshakeResult {
  return (value as HandshakeResult).kind === 'handshake';
}

/** The first record of each id, as a map (a peer may list an id twice; the first counts). */
export function metadataById(records: readonly ExtensionRecord[]): Map<number, Uint8Array> {
  const byId = new Map<number, Uint8Array>();
  for (const record of records) if (!byId.has(record.id)) byId.set(record.id, record.metadata);
  return byId;
}
