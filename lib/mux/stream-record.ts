import { CloseSignal } from './close-signal.js';
import { Inbox } from './inbox.js';
import type { ReceiveWindow } from './receive-window.js';

/** `tcp` streams are reliable byte streams with credit; `udp` streams carry datagrams. */
export type StreamKind = 'tcp' | 'udp';

/** Called once a write has been handed to the transport (or has failed). */
export type WriteCallback = (error?: Error) => void;

/** A write waiting for credit or for the transport to drain. */
export interface PendingWrite {
  readonly chunk: Uint8Array;
  offset: number;
  readonly callback: WriteCallback | undefined;
  /** The chunk has ≥5 spare bytes in front of it (same buffer) for the header: no copy. */
  readonly inPlace: boolean;
}

/**
 * All state of one stream. Owned by the actor: only the actor reads or changes it; stream
 * handles hold a reference but go through the actor's commands.
 */
export class StreamRecord {
  /** Packets we may still send (client TCP streams); Infinity where Wisp has no credit. */
  credit = Infinity;
  /** Server TCP streams: accounting of the client's credit. */
  window: ReceiveWindow | undefined;
  readonly pending: PendingWrite[] = [];
  /** True while this record sits in the actor's send queue. */
  scheduled = false;
  /** True while this stream's inbox counts towards pausing the transport. */
  overLimit = false;
  /** This stream's queued bytes as last counted into the connection's total (InboundLimit). */
  countedBytes = 0;
  /** Set once the stream is closed, with the reason byte. */
  closeReason: number | undefined;
  /** Server: the stream-open confirmation was sent. Client: it arrived. */
  confirmed = false;
  /** Client with confirmation in force: settles `open(..., { awaitConfirmation })`. */
  onConfirm: ((error?: Error) => void) | undefined;
  /** Fired with the reason when the stream closes; it is `MuxStream.closed$`. */
  readonly closeSignal = new CloseSignal();
  /** Received data; `MuxStream.data$` is this inbox. */
  readonly inbox: Inbox<StreamRecord>;

  constructor(
    readonly id: number,
    readonly kind: StreamKind,
    readonly host: string,
    readonly port: number,
    onDelivered: (record: StreamRecord, packets: number) => void,
  ) {
    this.inbox = new Inbox<StreamRecord>(this, onDelivered);
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }
}
