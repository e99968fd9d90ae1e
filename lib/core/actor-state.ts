import { asyncScheduler, type Observable, type Observer, type SchedulerLike } from '../rx.js';
import { WispError } from '../errors.js';
import type { Wire, WireInput } from './protocol.js';
import type { Outbound } from './outbound.js';
import { Outbox } from './outbox.js';
import { OutputBound } from './output-bound.js';
import { ReadGate, type Pausable } from './read-gate.js';
import { ReceiveBudget } from './receive-budget.js';
import { StreamRecord, type EndSide, type StreamKind } from './stream-record.js';
import { Keepalive } from './keepalive.js';
import { describeActor, type MuxDebugState } from './debug-state.js';
import { StreamIds } from './stream-ids.js';
import { LazySubject } from './lazy-subject.js';
import type { QueueHooks } from './receive-queue.js';
import { DEFAULT_MAX_OUTPUT_BACKLOG, MAX_OUTPUT_BACKLOG_PACKETS, type ActorSettings, type MuxEnd } from './settings.js';

/**
 * What a connection's actor holds — the stream table, the outbox, the receive budget, the
 * output bound, the timers, its Subjects — and how streams and the connection end. The
 * {@link MuxActor} adds the commands and the wire's input on top.
 */
export abstract class ActorState implements QueueHooks<StreamRecord> {
  readonly wire: Wire<unknown>;
  /** Made with the first stream (an empty Map still allocates its table); {@link streams} reads it. */
  private streamTable: Map<number, StreamRecord> | undefined;
  protected readonly outbox: Outbox;
  protected readonly budget: ReceiveBudget;
  protected readonly bound: OutputBound;
  protected readonly ids: StreamIds;
  protected readonly keepalive: Keepalive | undefined;
  readonly scheduler: SchedulerLike;
  /** Set while draining (graceful stop) or after the peer's GoAway: new streams are refused with it. */
  protected refusing: number | undefined;
  /** Called each time the last open stream closes (idle timers, graceful stop). */
  onStreamsEmpty: (() => void) | undefined;
  protected ended: MuxEnd | undefined;
  protected readonly endSubject = new LazySubject<MuxEnd>();
  protected readonly incomingSubject = new LazySubject<StreamRecord>();
  protected readonly protocolErrorsSubject = new LazySubject<WispError>();

  /** Streams the peer opened. */
  get incoming$(): Observable<StreamRecord> {
    return this.incomingSubject.asObservable();
  }

  /** Emits once when the connection ends. */
  get end$(): Observable<MuxEnd> {
    return this.endSubject.asObservable();
  }

  /** Non-fatal protocol errors (malformed or unexpected packets); the connection continues. */
  get protocolErrors$(): Observable<WispError> {
    return this.protocolErrorsSubject.asObservable();
  }

  /**
   * The owning mux's observers of {@link incoming$}, {@link end$} and {@link protocolErrors$},
   * called without a subscription (what one costs, every connection would pay while idle).
   */
  observe(observers: { readonly incoming?: Partial<Observer<StreamRecord>>; readonly end?: Partial<Observer<MuxEnd>>; readonly protocolErrors?: Partial<Observer<WispError>> }): void {
    this.incomingSubject.listener = observers.incoming;
    this.endSubject.listener = observers.end;
    this.protocolErrorsSubject.listener = observers.protocolErrors;
  }

  /** The stream table, read-only here: a shared empty one until the first stream. */
  protected get streams(): ReadonlyMap<number, StreamRecord> {
    return this.streamTable ?? NO_STREAMS;
  }

  constructor(
    protected readonly outbound: Outbound,
    reading: Pausable,
    readonly settings: ActorSettings,
    makeWire: (input: WireInput) => Wire<unknown>,
  ) {
    this.scheduler = settings.scheduler ?? asyncScheduler;
    const gate = new ReadGate(reading);
    // The one subclass, MuxActor, is the WireInput.
    this.wire = makeWire(this as unknown as WireInput);
    const stall = settings.outputStallMs ?? 0;
    this.bound = new OutputBound(gate, settings.maxOutputBacklog ?? DEFAULT_MAX_OUTPUT_BACKLOG, MAX_OUTPUT_BACKLOG_PACKETS, stall, this.scheduler, () => {
      this.protocolErrorsSubject.next(new WispError('Throttled', 'the peer did not read its replies', { reason: this.wire.reasons.throttled }));
      this.shutdown(this.wire.reasons.throttled);
    });
    this.outbox = new Outbox(outbound, this.wire, settings.maxPayload, this.bound, (record) => this.flushed(record));
    this.budget = new ReceiveBudget(gate, settings.maxQueuedPackets, settings.maxQueuedBytes);
    this.ids = new StreamIds(this.wire.ids);
    const keepalive = settings.keepalive;
    if (keepalive && this.wire.features.keepalive) {
      this.keepalive = new Keepalive(this.scheduler, keepalive.intervalMs, keepalive.timeoutMs, {
        ping: () => this.emit(this.wire.ping()),
        silent: () => {
          const farewell = this.wire.keepaliveTimeout?.();
          if (farewell) this.emit(farewell);
          this.inboundEnded(new WispError('KeepaliveTimeout', `the peer was silent for ${keepalive.timeoutMs} ms`));
        },
        holding: () => this.budget.pausing,
      });
    }
  }

  /** The inbound side ended (transport closed or failed): every stream ends with that error. */
  inboundEnded(error?: unknown): void {
    this.terminate({
      error: error === undefined ? new WispError('TransportClosed', 'the connection closed while streams were open') : asWispError(error),
    });
    this.outbound.end(1000, '');
  }

  get isEnded(): boolean {
    return this.ended !== undefined;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Diagnostics only: a snapshot of the actor's state (see {@link MuxDebugState}). */
  debugState(): MuxDebugState {
    return describeActor(this.ended !== undefined, this.streams.values(), this.outbox, this.bound, this.budget, [
      this.incomingSubject,
      this.protocolErrorsSubject,
      this.endSubject,
    ]);
  }

  /** Sends a control frame through the outbox, so that it counts against the output bound. */
  emit(frame: Uint8Array): void {
    if (!this.ended) this.outbox.emit(frame);
  }

  protected createRecord(id: number, kind: StreamKind, host: string, port: number, opener: 'local' | 'remote'): StreamRecord {
    const record = new StreamRecord(id, kind, host, port, this);
    this.wire.windows(record, opener);
    (this.streamTable ??= new Map()).set(id, record);
    return record;
  }

  protected finish(record: StreamRecord, reason: number, side: EndSide, error?: WispError): void {
    if (record.closed) return;
    this.streamTable?.delete(record.id);
    this.budget.closed(record, !this.ended);
    record.settle(reason, side, reason === this.wire.reasons.normal, error);
    if (this.streams.size === 0 && !this.ended) this.onStreamsEmpty?.();
  }

  protected terminate(end: MuxEnd, side: EndSide = 'remote'): void {
    if (this.ended) return;
    this.ended = end;
    this.keepalive?.stop();
    const reason = end.reason ?? this.wire.reasons.error;
    for (const record of [...this.streams.values()]) this.finish(record, reason, side, end.error);
    // Nothing will be sent any more: release the streams waiting for the transport.
    this.outbox.clear();
    this.incomingSubject.complete();
    this.protocolErrorsSubject.complete();
    this.endSubject.next(end);
    this.endSubject.complete();
  }

  abstract delivered(record: StreamRecord, frames: number, bytes: number): void;
  abstract abandoned(record: StreamRecord): void;

  /** A stream's last pending write went out: its half-close or graceful close follows. */
  protected abstract flushed(record: StreamRecord): void;

  /** Ends the connection from this side (see {@link MuxActor.shutdown}). */
  abstract shutdown(reason: number, keepReceived?: boolean): void;
}

/** What {@link ActorState.streams} reads before the first stream; never written. */
const NO_STREAMS: ReadonlyMap<number, StreamRecord> = new Map();

function asWispError(error: unknown): WispError {
  return error instanceof WispError ? error : new WispError('TransportError', String(error), { cause: error });
}
