import { Subject, type Observable } from 'rxjs';
import { WispError } from '../errors.js';
import { CloseReason, closeReasonName } from '../packet/close-reason.js';
import { encodeClose, encodeConnect, encodeContinue } from '../packet/encode.js';
import { PacketType, StreamType, type Packet } from '../packet/types.js';
import type { Transport } from '../transport/transport.js';
import { ReceiveWindow } from './receive-window.js';
import { StreamRecord, type StreamKind, type WriteCallback } from './stream-record.js';
import { Outbox } from './outbox.js';
import { InboundLimit } from './inbound-limit.js';
import type { MuxDebugState } from './debug-state.js';
import { DEFAULT_MAX_OUTPUT_BACKLOG, MAX_OUTPUT_BACKLOG_PACKETS, type ActorSettings, type MuxEnd } from './settings.js';
import { ReadGate } from './read-gate.js';
import { OutputBound } from './output-bound.js';

export type { ActorSettings, MuxEnd } from './settings.js';

/**
 * The multiplexer actor of one connection. It alone owns the stream table, credit and close
 * state; inbound packets and commands from stream handles are the only ways in, and encoded
 * packets handed to the transport are the only way out.
 */
export class MuxActor {
  private readonly streams = new Map<number, StreamRecord>();
  private readonly outbox: Outbox;
  private readonly limit: InboundLimit;
  private readonly bound: OutputBound;
  /** Set while draining (graceful stop): new CONNECTs are refused with this reason. */
  private refusing: number | undefined;
  /** Called each time the last open stream closes (idle timers, graceful stop). */
  onStreamsEmpty: (() => void) | undefined;
  private ended: MuxEnd | undefined;
  private nextId = 1;
  private readonly endSubject = new Subject<MuxEnd>();
  private readonly incomingSubject = new Subject<StreamRecord>();
  private readonly protocolErrorsSubject = new Subject<WispError>();

  /** Server: streams the peer opened. */
  readonly incoming$: Observable<StreamRecord> = this.incomingSubject.asObservable();
  /** Emits once when the connection ends. */
  readonly end$: Observable<MuxEnd> = this.endSubject.asObservable();
  /** Non-fatal protocol errors (malformed or unexpected packets); the connection continues. */
  readonly protocolErrors$: Observable<WispError> = this.protocolErrorsSubject.asObservable();

  constructor(
    private readonly transport: Transport,
    readonly settings: ActorSettings,
  ) {
    const gate = new ReadGate(transport);
    this.bound = new OutputBound(gate, settings.maxOutputBacklog ?? DEFAULT_MAX_OUTPUT_BACKLOG, MAX_OUTPUT_BACKLOG_PACKETS, settings.outputStallMs ?? 0, () => {
      this.protocolErrorsSubject.next(new WispError('Throttled', 'the peer did not read its replies', { reason: CloseReason.Throttled }));
      this.shutdown(CloseReason.Throttled);
    });
    this.outbox = new Outbox(transport, settings.maxPayload, this.bound);
    const packetLimit = settings.role === 'client' ? settings.maxQueuedPackets : undefined;
    this.limit = new InboundLimit(gate, packetLimit, settings.maxQueuedBytes);
  }

  /** Feeds one post-handshake packet to the actor. */
  receive(packet: Packet): void {
    if (!this.ended) this.onPacket(packet);
  }

  /** The inbound side ended (transport closed or failed): every stream ends with that error. */
  inboundEnded(error?: unknown): void {
    this.terminate({
      error: error === undefined ? new WispError('TransportClosed', 'the connection closed while streams were open') : asWispError(error),
    });
  }

  get isEnded(): boolean {
    return this.ended !== undefined;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Diagnostics only: a snapshot of the actor's state (see {@link MuxDebugState}). */
  debugState(): MuxDebugState {
    const observers = (subject$: Subject<unknown>): number => (subject$.closed || subject$.isStopped ? 0 : subject$.observers.length);
    return {
      ended: this.ended !== undefined,
      streams: [...this.streams.values()].map((r) => ({
        id: r.id,
        kind: r.kind,
        queued: r.inbox.length,
        readers: r.inbox.listenerCount,
        closeWaiters: r.closeSignal.waiting,
        pendingWrites: r.pending.length,
        credit: r.credit,
      })),
      sendQueue: this.outbox.waiting,
      blocked: this.outbox.isBlocked,
      outputBacklog: this.bound.backlogBytes,
      outputPaused: this.bound.pausing,
      pausingStreams: this.limit.pausingStreams,
      queuedBytes: this.limit.queuedBytes,
      inboundPaused: this.limit.pausing,
      liveSubscriptions:
        (this.outbox.listening ? 1 : 0) +
        observers(this.incomingSubject as Subject<unknown>) +
        observers(this.protocolErrorsSubject as Subject<unknown>) +
        observers(this.endSubject as Subject<unknown>),
    };
  }

  /** Reports a malformed packet; a CONNECT we could not read is refused so the peer knows. */
  reportMalformed(error: WispError, bytes: Uint8Array): void {
    this.protocolErrorsSubject.next(error);
    if (this.settings.role === 'server' && bytes.length >= 5 && bytes[0] === PacketType.Connect) {
      const id = (bytes[1] | (bytes[2] << 8) | (bytes[3] << 16)) + bytes[4] * 0x1000000;
      if (id !== 0 && !this.streams.has(id)) this.outbox.emit(encodeClose(id, CloseReason.InvalidInfo));
    }
  }

  /**
   * Sends a control packet through the outbox, so that it counts against the output bound
   * (extensions' replies: a peer must not make us queue them without bound either).
   */
  emitControl(packet: Uint8Array): void {
    if (!this.ended) this.outbox.emit(packet);
  }

  /** Graceful stop: from now on new CONNECTs are refused with `reason`; open streams go on. */
  refuseNewStreams(reason: number): void {
    this.refusing = reason;
  }

  // ---- commands from handles -------------------------------------------------------------

  /** Client: opens a stream (sends CONNECT). */
  open(kind: StreamKind, host: string, port: number): StreamRecord {
    if (this.ended) throw new WispError('MuxClosed', 'the connection is closed');
    if (kind === 'udp' && !this.settings.udp) {
      throw new WispError('ExtensionsNotSupported', 'UDP streams need the UDP extension, which the server did not agree to', { extensionIds: [0x01] });
    }
    const id = this.allocateId();
    const type = kind === 'tcp' ? StreamType.Tcp : StreamType.Udp;
    const packet = encodeConnect(id, type, port, host); // validates the port before any state changes
    const record = this.createRecord(id, kind, host, port);
    if (kind === 'tcp') record.credit = this.settings.bufferSize;
    this.outbox.emit(packet);
    return record;
  }

  /**
   * Queues `chunk` on a stream; `callback` runs once it is handed to the transport. With
   * `inPlace`, a chunk that fits one packet gets its header written into the 5 bytes in front
   * of it instead of being copied (the caller owns those bytes).
   */
  write(record: StreamRecord, chunk: Uint8Array, callback?: WriteCallback, inPlace = false): void {
    if (record.closed || this.ended) {
      callback?.(closedError(record));
      return;
    }
    if (record.kind === 'udp' && chunk.length > 0xffff) {
      callback?.(new WispError('InvalidArgument', `a datagram of ${chunk.length} bytes is too large`));
      return;
    }
    this.outbox.write(record, { chunk, offset: 0, callback, inPlace });
  }

  /** Closes a stream from our side: sends CLOSE, fails pending writes, drops unread data. */
  close(record: StreamRecord, reason: number): void {
    if (record.closed) return;
    if (!this.ended) this.outbox.emit(encodeClose(record.id, reason));
    this.finish(record, reason, 'local');
  }

  pause(record: StreamRecord): void {
    record.inbox.pause();
  }

  resume(record: StreamRecord): void {
    record.inbox.resume();
  }

  /** Server: confirms an open stream (stream-open confirmation extension); no-op otherwise. */
  confirm(record: StreamRecord): void {
    if (record.confirmed || record.closed || this.settings.role !== 'server') return;
    record.confirmed = true;
    if (!this.settings.confirmation) return;
    const value = record.window ? record.window.confirmation() : this.settings.bufferSize;
    this.outbox.emit(encodeContinue(record.id, value));
  }

  /**
   * Ends the connection: CLOSE on stream 0, every stream closed, transport closed. The CLOSE
   * goes ahead of every write still queued in the outbox (those are failed, never sent).
   * With `keepReceived`, data already received stays readable and then completes, so a
   * relay can still hand it to its target (what a graceful stop promises); otherwise it is
   * dropped.
   */
  shutdown(reason: number = CloseReason.Voluntary, keepReceived = false): void {
    if (this.ended) return;
    this.outbox.emit(encodeClose(0, reason));
    this.terminate({ reason }, keepReceived ? 'remote' : 'local');
    this.transport.close(1000, 'wisp connection closed');
  }

  // ---- inbound ---------------------------------------------------------------------------

  private onPacket(packet: Packet): void {
    if ('extension' in packet) return; // routed by the handshake's extension hooks
    switch (packet.type) {
      case PacketType.Data:
        return this.onData(packet.streamId, packet.payload);
      case PacketType.Continue:
        return this.onContinue(packet.streamId, packet.bufferRemaining);
      case PacketType.Close:
        return this.onClose(packet.streamId, packet.reason);
      case PacketType.Connect:
        if (this.settings.role === 'server') {
          return this.onConnect(packet.streamId, packet.streamType === StreamType.Tcp ? 'tcp' : 'udp', packet.hostname, packet.port);
        }
        return this.unexpected('CONNECT sent to a client');
      case PacketType.Info:
        return this.unexpected('INFO after the handshake');
    }
  }

  private onData(id: number, payload: Uint8Array): void {
    const record = this.streams.get(id);
    if (!record) return; // normal after a close crossed in flight
    const window = record.window;
    if (window) {
      if (!window.receive()) {
        this.protocolErrorsSubject.next(new WispError('Throttled', `stream ${id} sent past its credit`, { reason: CloseReason.Throttled }));
        this.close(record, CloseReason.Throttled);
        return;
      }
    } else if (record.kind === 'udp' && record.inbox.length >= this.settings.bufferSize) {
      return; // a datagram nobody is reading: drop it rather than buffer without bound
    }
    record.inbox.push(payload);
    // A chunk delivered at once was counted by onDelivered; only one left queued needs it here.
    if (record.inbox.length > 0) this.limit.update(record);
  }

  private onContinue(id: number, value: number): void {
    if (this.settings.role === 'server') return this.unexpected('CONTINUE sent to a server');
    const record = this.streams.get(id);
    if (!record) return;
    if (this.settings.confirmation && !record.confirmed) {
      // The open confirmation re-announces credit; it must never enlarge what we hold.
      record.confirmed = true;
      if (record.kind === 'tcp') record.credit = Math.min(record.credit, value);
      const settle = record.onConfirm;
      record.onConfirm = undefined;
      settle?.();
    } else if (record.kind === 'tcp') {
      record.credit = value;
    }
    if (record.credit > 0 && record.pending.length > 0) {
      this.outbox.schedule(record);
      this.outbox.pump();
    }
  }

  private onClose(id: number, reason: number): void {
    if (id === 0) {
      this.terminate({ reason });
      this.transport.close(1000, 'peer closed the wisp connection');
      return;
    }
    const record = this.streams.get(id);
    if (record) this.finish(record, reason, 'remote');
  }

  private onConnect(id: number, kind: StreamKind, host: string, port: number): void {
    if (id === 0) return this.unexpected('CONNECT on stream 0');
    const existing = this.streams.get(id);
    if (existing) {
      // A confused or hostile client reusing a live id: end that stream, keep the others.
      this.unexpected(`CONNECT reuses live stream id ${id}`);
      this.close(existing, CloseReason.InvalidInfo);
      return;
    }
    if (kind === 'udp' && !this.settings.udp) {
      this.unexpected(`UDP stream ${id} without the UDP extension`);
      this.outbox.emit(encodeClose(id, CloseReason.InvalidInfo));
      return;
    }
    if (this.streams.size >= this.settings.maxStreams || this.refusing !== undefined) {
      this.outbox.emit(encodeClose(id, this.refusing ?? CloseReason.Throttled));
      return;
    }
    const record = this.createRecord(id, kind, host, port);
    if (kind === 'tcp') record.window = new ReceiveWindow(this.settings.bufferSize);
    this.incomingSubject.next(record);
  }

  // ---- consumption and closing ---------------------------------------------------------------

  private readonly onDelivered = (record: StreamRecord, packets: number): void => {
    if (record.window && !record.closed) {
      const value = record.window.consume(packets);
      if (value >= 0) {
        if (this.settings.confirmation && !record.confirmed) {
          // The client reads a stream's first CONTINUE as the open confirmation, which never
          // raises its credit: a grant going first would leave it at zero credit for good. A
          // grant is due only once the client has spent its credit, so confirm with 0 first.
          record.confirmed = true;
          this.outbox.emit(encodeContinue(record.id, 0));
        }
        this.outbox.emit(encodeContinue(record.id, value));
      }
    }
    this.limit.update(record);
  };

  private createRecord(id: number, kind: StreamKind, host: string, port: number): StreamRecord {
    const record = new StreamRecord(id, kind, host, port, this.onDelivered);
    this.streams.set(id, record);
    return record;
  }

  private finish(record: StreamRecord, reason: number, side: 'local' | 'remote', error?: WispError): void {
    if (record.closed) return;
    record.closeReason = reason;
    this.streams.delete(record.id);
    if (this.streams.size === 0 && !this.ended) this.onStreamsEmpty?.();
    const settle = record.onConfirm;
    record.onConfirm = undefined;
    if (record.pending.length > 0 || settle) {
      // Built only when someone is waiting: an Error's stack trace is costly at stream churn rates.
      const failure =
        error ??
        new WispError('StreamClosed', `stream ${record.id} was closed ${side === 'local' ? 'locally' : 'by the peer'}: ${closeReasonName(reason)}`, {
          reason,
        });
      for (const write of record.pending.splice(0)) write.callback?.(failure);
      settle?.(failure);
    }
    this.limit.closed(record, !this.ended);
    if (side === 'local') record.inbox.discard(error);
    else record.inbox.end(error);
    record.closeSignal.fire(reason);
  }

  private terminate(end: MuxEnd, side: 'local' | 'remote' = 'remote'): void {
    if (this.ended) return;
    this.ended = end;
    const reason = end.reason ?? CloseReason.NetworkError;
    for (const record of [...this.streams.values()]) this.finish(record, reason, side, end.error);
    // Nothing will be sent any more: release the streams waiting for the transport.
    this.outbox.clear();
    this.incomingSubject.complete();
    this.protocolErrorsSubject.complete();
    this.endSubject.next(end);
    this.endSubject.complete();
  }

  private unexpected(what: string): void {
    this.protocolErrorsSubject.next(new WispError('UnexpectedPacket', what));
  }

  private allocateId(): number {
    for (let tries = 0; tries < 0xffffffff; tries++) {
      const id = this.nextId;
      this.nextId = id === 0xffffffff ? 1 : id + 1;
      if (!this.streams.has(id)) return id;
      if (this.streams.size >= 0xfffffffe) break;
    }
    throw new WispError('MaxStreamCountReached', 'every stream id is in use');
  }
}

function closedError(record: StreamRecord): WispError {
  return new WispError('StreamAlreadyClosed', `stream ${record.id} is closed`, record.closeReason === undefined ? {} : { reason: record.closeReason });
}

function asWispError(error: unknown): WispError {
  return error instanceof WispError ? error : new WispError('TransportError', String(error), { cause: error });
}
