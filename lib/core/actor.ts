import { WispError } from '../errors.js';
import type { WireInput } from './protocol.js';
import { ActorState } from './actor-state.js';
import type { QueueHooks } from './receive-queue.js';
import type { StreamKind, StreamRecord, WriteCallback } from './stream-record.js';
import { DEFAULT_CLOSE_DEADLINE_MS } from './settings.js';

export type { ActorSettings, MuxEnd } from './settings.js';

/**
 * The multiplexer actor of one connection, for any protocol. It alone owns the stream table,
 * windows and close state; inbound packets (through its {@link Wire}) and commands from stream
 * handles are the only ways in, and frames on the connection's {@link Outbound} the only way
 * out. It knows no protocol: the wire encodes and decodes, the actor decides.
 */
export class MuxActor extends ActorState implements WireInput, QueueHooks<StreamRecord> {
  constructor(...args: ConstructorParameters<typeof ActorState>) {
    super(...args);
    this.outbox.scheduler = this.scheduler; // small writes held to gather go out on its timers
  }

  /** Feeds one post-handshake packet to the actor. */
  receive(packet: unknown): void {
    if (this.ended) return;
    if (this.keepalive) this.keepalive.heard = true;
    this.wire.receive(packet);
  }

  /** Reports a frame that could not be decoded; the wire may answer it. */
  reportMalformed(error: WispError, bytes: Uint8Array): void {
    this.protocolErrorsSubject.next(error);
    this.wire.malformed(error, bytes);
  }

  /**
   * Graceful stop, first step: the peer is told (GoAway, where the protocol has one) and its
   * new streams are refused with `reason`, as are our own opens; open streams go on.
   */
  drain(reason: number): void {
    if (this.refusing !== undefined || this.ended) return;
    this.refusing = reason;
    const frame = this.wire.goAway(reason);
    if (frame) this.outbox.emit(frame);
  }

  // ---- commands from handles -------------------------------------------------------------

  /** Opens a stream from this side. */
  open(kind: StreamKind, host: string, port: number): StreamRecord {
    if (this.ended) throw new WispError('MuxClosed', 'the connection is closed');
    if (!this.wire.features.localOpens) throw new WispError('Unsupported', `a ${this.settings.role} cannot open streams on this protocol`);
    if (this.refusing !== undefined) throw new WispError('MuxClosed', 'the connection is going away: no new streams');
    const id = this.ids.next(this.streams);
    const frame = this.wire.open(id, kind, host, port); // validates before any state changes
    const record = this.createRecord(id, kind, host, port, 'local');
    this.outbox.emit(frame);
    return record;
  }

  /**
   * Queues `chunk` on a stream; `callback` runs once it is handed to the transport. With
   * `inPlace`, a chunk that fits one frame gets its header written into the bytes in front of
   * it instead of being copied (the caller owns those bytes).
   */
  write(record: StreamRecord, chunk: Uint8Array, callback?: WriteCallback, inPlace = false): void {
    if (record.writeShut || this.ended) {
      callback?.(record.closedError());
      return;
    }
    if (record.kind === 'udp' && chunk.length > 0xffff) {
      callback?.(new WispError('InvalidArgument', `a datagram of ${chunk.length} bytes is too large`));
      return;
    }
    this.outbox.write(record, { chunk, offset: 0, callback, inPlace });
  }

  /** Half-closes after the pending writes (FIN); a protocol without half-close closes gracefully. */
  end(record: StreamRecord): void {
    if (record.writeShut) return;
    if (!this.wire.features.halfClose) return this.close(record, this.wire.reasons.normal);
    record.ending = true;
    if (record.pending.length === 0) this.flushed(record);
  }

  /** Graceful close: pending writes go first (bounded by the close deadline), then the close frame. */
  close(record: StreamRecord, reason: number): void {
    if (record.closed || record.closing !== undefined) return;
    record.closing = reason;
    // What the reader had not taken is dropped: it closed the stream (and it stops counting).
    record.queue.discard();
    this.budget.update(record);
    if (record.pending.length === 0 || this.ended) return this.flushed(record);
    const deadline = this.settings.closeDeadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;
    record.closeTimer = this.scheduler.schedule(() => this.abort(record, reason), deadline);
  }

  /** Closes a stream now: sends the close frame, fails pending writes, drops unread data. */
  abort(record: StreamRecord, reason: number): void {
    if (record.closed) return;
    if (!this.ended) this.outbox.emit(this.wire.close(record.id, reason));
    this.finish(record, reason, 'local');
  }

  pause(record: StreamRecord): void {
    record.queue.pause();
  }

  resume(record: StreamRecord): void {
    record.queue.resume();
  }

  /** Acknowledges a stream the peer opened (Wisp: stream-open confirmation). */
  accept(record: StreamRecord): void {
    if (record.acknowledged || record.closed) return;
    this.wire.accept(record);
  }

  /**
   * Ends the connection: the close frame, every stream closed, transport closed. The close
   * frame goes ahead of every write still queued in the outbox (those are failed, never sent).
   * With `keepReceived`, data already received stays readable and then completes, so a
   * relay can still hand it to its target (what a graceful stop promises).
   */
  shutdown(reason: number, keepReceived = false): void {
    if (this.ended) return;
    const frame = this.wire.closeConnection(reason);
    if (frame) this.outbox.emit(frame);
    this.terminate({ reason }, keepReceived ? 'kept' : 'local');
    this.outbound.end(1000, 'connection closed');
  }

  // ---- WireInput: what the wire reports ----------------------------------------------------

  stream(id: number): StreamRecord | undefined {
    return this.streams.get(id);
  }

  opened(id: number, kind: StreamKind, host: string, port: number): StreamRecord | undefined {
    if (this.streams.size >= this.settings.maxStreams || this.refusing !== undefined) {
      this.outbox.emit(this.wire.close(id, this.refusing ?? this.wire.reasons.limit));
      return undefined;
    }
    const record = this.createRecord(id, kind, host, port, 'remote');
    this.incomingSubject.next(record);
    return record;
  }

  data(record: StreamRecord, payload: Uint8Array): void {
    if (record.closing !== undefined || record.remoteEnded) return; // nobody will read it
    const window = record.receiveWindow;
    if (window) {
      if (!window.receive(payload.length)) {
        this.protocolErrorsSubject.next(new WispError('Throttled', `stream ${record.id} sent past its window`, { reason: this.wire.reasons.overrun }));
        this.abort(record, this.wire.reasons.overrun);
        return;
      }
    } else if (record.kind === 'udp' && record.queue.length >= this.settings.maxQueuedDatagrams) {
      return; // a datagram nobody is reading: drop it rather than buffer without bound
    }
    record.queue.push(payload);
    // A chunk delivered at once was counted by `delivered`; only one left queued needs it here.
    if (record.queue.length > 0) this.budget.update(record);
  }

  credited(record: StreamRecord): void {
    if (record.pending.length === 0 || record.sendWindow.available <= 0) return;
    this.outbox.schedule(record);
    this.outbox.pump();
  }

  acknowledged(record: StreamRecord): void {
    record.acknowledged = true;
    const settle = record.onAcknowledged;
    record.onAcknowledged = undefined;
    settle?.();
  }

  remoteEnd(record: StreamRecord): void {
    if (record.remoteEnded || record.closed) return;
    record.remoteEnded = true;
    if (record.localEnded) return this.finish(record, this.wire.reasons.normal, 'remote');
    record.queue.end();
  }

  remoteClose(record: StreamRecord, reason: number): void {
    this.finish(record, reason, 'remote');
  }

  peerClosed(reason: number): void {
    this.terminate({ reason });
    this.outbound.end(1000, 'peer closed the connection');
  }

  peerGoingAway(reason: number): void {
    this.refusing ??= reason;
  }

  protocolError(error: WispError, fatal = false): void {
    if (!fatal) return this.protocolErrorsSubject.next(error);
    this.protocolErrorsSubject.next(error);
    this.shutdown(error.reason ?? this.wire.reasons.error);
  }

  // ---- consumption and closing ---------------------------------------------------------------

  delivered(record: StreamRecord, frames: number, bytes: number): void {
    const window = record.receiveWindow;
    if (window && !record.closed) {
      const value = window.consume(frames, bytes);
      if (value >= 0) this.wire.windowUpdate(record, value);
    }
    this.budget.update(record);
  }

  abandoned(record: StreamRecord): void {
    if (!record.closed && record.closing === undefined && !this.ended) this.abort(record, this.wire.reasons.normal);
  }

  /** A stream's last pending write went out: its half-close or graceful close follows. */
  protected flushed(record: StreamRecord): void {
    if (record.closed) return;
    if (record.closing !== undefined) return this.abort(record, record.closing);
    if (!record.ending || record.localEnded) return;
    record.localEnded = true;
    if (!this.ended) this.outbox.emit(this.wire.end(record.id));
    if (record.remoteEnded) this.finish(record, this.wire.reasons.normal, 'remote'); // keeps what the reader has not taken
  }
}
