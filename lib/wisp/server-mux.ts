import { Observable, firstValueFrom } from '../rx.js';
import type { WispError } from '../errors.js';
import type { ProtocolExtension } from './extensions/extension.js';
import { serverHandshakeV1 } from './handshake/v1.js';
import { serverHandshakeV2 } from './handshake/server-v2.js';
import { streamConfirmation } from './extensions/stream-confirmation.js';
import { udp } from './extensions/udp.js';
import { WISP_V2_PROTOCOL, instantiate } from './negotiated.js';
import type { HandshakeResult } from './handshake/result.js';
import { CloseReason } from './packet/close-reason.js';
import type { Transport } from '../transport/transport.js';
import type { MuxActor, MuxEnd } from '../core/actor.js';
import type { MuxDebugState } from '../core/debug-state.js';
import { runConnection } from '../core/connection.js';
import { LazySubject, ReplayLazySubject } from '../core/lazy-subject.js';
import { wispProtocol } from './protocol.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_BUFFER_SIZE, DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_STREAMS } from './options.js';
import { MuxStream } from '../stream/mux-stream.js';
import type { StreamRecord } from '../core/stream-record.js';
import { EndObserver, IncomingObserver, type IncomingStream, type ServerMuxOptions, type ServerMuxWatcher } from './server-mux-parts.js';

export type { ConnectRequest, IncomingStream, ServerMuxOptions, ServerMuxWatcher } from './server-mux-parts.js';

// It is an ActorEvents (the actor observers call it), checked where they are made: an
// `implements` of an internal interface would show in the API reference.
/**
 * The server end of a Wisp connection. Streams the client opens arrive on {@link streams$};
 * refuse one with `stream.close(reason)`.
 */
export class ServerMux {
  private actor: MuxActor | undefined;
  private handshakeResult: HandshakeResult | undefined;
  private failure: WispError | undefined;
  private readyPromise: Promise<void> | undefined;
  private settleReady: ((error?: WispError) => void) | undefined;
  private watcher: ServerMuxWatcher | undefined;
  // Made on first use: most connections are never observed but by the gateway's watcher.
  private readonly endSubject = new ReplayLazySubject<MuxEnd>();
  private readonly errorsSubject = new LazySubject<WispError>();
  private readonly incomingSubject = new LazySubject<IncomingStream>();
  private readonly emptySubject = new LazySubject<void>();
  private waiting: IncomingStream[] | undefined;
  private listeners = 0;
  private reader: { readonly closed: boolean } | undefined;

  /** Emits once when the connection has ended. */
  get closed$(): Observable<MuxEnd> {
    return this.endSubject.asObservable();
  }

  /** Resolves when the handshake is done; rejects when it fails. */
  get ready(): Promise<void> {
    if (this.readyPromise) return this.readyPromise;
    const failure = this.failure;
    const ready = this.actor || failure ? (failure ? Promise.reject(failure) : Promise.resolve()) : new Promise<void>((resolve, reject) => (this.settleReady = (error) => (error ? reject(error) : resolve())));
    ready.catch(() => undefined); // a failed handshake is also reported on closed$
    return (this.readyPromise = ready);
  }

  /**
   * Emits each time the last open stream closes (idle timers, graceful stop). Completes when
   * the connection ends.
   */
  get streamsEmpty$(): Observable<void> {
    return this.emptySubject.asObservable();
  }

  /**
   * Streams the client opens. Streams that arrive while nobody is subscribed wait (bounded by
   * `maxStreams`) and go to the first subscriber. Completes when the connection ends (or its
   * handshake fails).
   */
  get streams$(): Observable<IncomingStream> {
    return new Observable<IncomingStream>((subscriber) => {
      this.listeners++;
      const subscription = this.incomingSubject.asObservable().subscribe(subscriber);
      for (const item of this.takeWaiting()) if (!item.stream.closed) subscriber.next(item);
      return () => {
        this.listeners--;
        subscription.unsubscribe();
      };
    });
  }

  private constructor(
    /** The transport this connection runs on. */
    readonly transport: Transport,
    private readonly options: ServerMuxOptions,
  ) {}

  /** Serves Wisp on an accepted transport: starts the handshake at once. */
  static accept(transport: Transport, options: ServerMuxOptions = {}): ServerMux {
    const mux = new ServerMux(transport, options);
    mux.start();
    return mux;
  }

  /** @internal Makes `watcher` this connection's observer (one per connection: the gateway's). */
  watch(watcher: ServerMuxWatcher): void {
    this.watcher = watcher;
    this.listeners++;
    for (const item of this.takeWaiting()) if (!item.stream.closed) watcher.stream(item);
    if (this.actor) watcher.ready();
    else if (this.failure) watcher.failed(this.failure);
    const end = this.endSubject.value;
    if (end) watcher.ended(end);
  }

  private takeWaiting(): IncomingStream[] {
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    return waiting;
  }

  private start(): void {
    const bufferSize = this.options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    const v2 = this.options.v2 !== false && this.transport.protocol.split(/,\s*/).includes(WISP_V2_PROTOCOL);
    const extensions = v2 ? instantiate(this.options.extensions ?? [udp(), streamConfirmation()], 'server') : [];
    const protocol = wispProtocol('server', (send) =>
      v2
        ? serverHandshakeV2({
            bufferSize,
            timeoutMs: this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
            scheduler: this.options.scheduler,
            extensions,
            requiredExtensions: this.options.requiredExtensions ?? [],
            send,
          })
        : serverHandshakeV1({ bufferSize, send }),
      extensions,
    );
    this.reader = runConnection(
      this.transport,
      protocol,
      (result) => ({
        role: 'server',
        maxPayload: this.options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
        maxQueuedPackets: undefined, // every server stream is bounded by its credit or drops datagrams
        maxQueuedDatagrams: result.bufferSize,
        maxQueuedBytes: this.options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
        // Undefined where not set: every reader defaults them with `??`. One literal of one
        // shape, where a spread per option cost each accepted connection a clone or two.
        maxOutputBacklog: this.options.maxOutputBacklog,
        outputStallMs: this.options.outputStallMs,
        closeDeadlineMs: this.options.closeDeadlineMs,
        writeBufferBytes: this.options.writeBufferBytes,
        scheduler: this.options.scheduler,
        maxStreams: this.options.maxStreams ?? DEFAULT_MAX_STREAMS,
      }),
      {
        ready: (result, actor) => this.onReady(result, actor),
        failed: (error) => this.onFailed(error),
      },
    );
  }

  private onReady(result: HandshakeResult, actor: MuxActor): void {
    this.actor = actor;
    this.handshakeResult = result;
    // Observers without subscriptions; the actor completes incoming$, end$ and protocolErrors$
    // when it ends, which drops them.
    actor.observe({ incoming: new IncomingObserver(this), end: new EndObserver(this), protocolErrors: this.errorsSubject });
    actor.onStreamsEmpty = () => {
      this.watcher?.empty();
      this.emptySubject.next();
    };
    this.settleReady?.();
    this.settleReady = undefined;
    this.watcher?.ready();
  }

  private onFailed(error: WispError): void {
    this.actorIncomingEnded();
    this.emptySubject.complete();
    this.errorsSubject.complete();
    this.failure = error;
    this.settleReady?.(error);
    this.settleReady = undefined;
    this.watcher?.failed(error);
    const end = { error, ...(error.reason === undefined ? {} : { reason: error.reason }) };
    this.endSubject.next(end);
    this.endSubject.complete();
    this.watcher?.ended(end);
  }

  /** @internal The connection ended: no more streams. Waiting ones were closed with it. */
  actorIncomingEnded(): void {
    this.waiting = undefined;
    this.incomingSubject.complete();
  }

  /** @internal */
  actorEnded(end: MuxEnd): void {
    this.emptySubject.complete();
    this.endSubject.next(end);
    this.watcher?.ended(end);
  }

  /** @internal */
  actorEndCompleted(): void {
    this.emptySubject.complete();
    this.endSubject.complete();
  }

  /** @internal */
  actorIncoming(record: StreamRecord): void {
    const item: IncomingStream = {
      connect: { kind: record.kind, host: record.host, port: record.port },
      stream: new MuxStream(this.actor!, record),
    };
    this.watcher?.stream(item);
    if (this.listeners > 0) return this.incomingSubject.next(item);
    const waiting = (this.waiting ??= []);
    waiting.push(item);
    if (waiting.length > (this.options.maxStreams ?? DEFAULT_MAX_STREAMS)) this.waiting = waiting.filter((w) => !w.stream.closed);
  }

  /** Protocol version in force. */
  get version(): { readonly major: number; readonly minor: number } | undefined {
    return this.handshakeResult?.version;
  }

  /** Ids of the extensions in force. */
  get extensionIds(): number[] {
    return this.handshakeResult?.extensions.map((e) => e.id) ?? [];
  }

  /** This side's instance of an extension in force (e.g. to read who authenticated). */
  extension<T extends ProtocolExtension = ProtocolExtension>(id: number): T | undefined {
    return this.handshakeResult?.extensions.find((e) => e.id === id) as T | undefined;
  }

  /** Streams currently open. */
  get streamCount(): number {
    return this.actor?.streamCount ?? 0;
  }

  /**
   * Non-fatal protocol errors from the client (malformed or unexpected packets, throttling).
   * May be subscribed before the handshake is done; completes when the connection ends.
   */
  get errors$(): Observable<WispError> {
    return this.errorsSubject.asObservable();
  }

  /**
   * Diagnostics only: a snapshot of what this connection holds (see `MuxDebugState`), plus
   * the handshake state, streams waiting for a `streams$` subscriber, `streams$`
   * subscribers, and whether the pipeline still reads the transport. Changes nothing.
   */
  debugState(): MuxDebugState & {
    readonly handshake: 'pending' | 'done' | 'failed';
    readonly waitingStreams: number;
    readonly streamSubscribers: number;
    readonly readingTransport: boolean;
  } {
    const actor: MuxDebugState = this.actor?.debugState() ?? {
      ended: this.failure !== undefined,
      streams: [],
      sendQueue: 0,
      blocked: false,
      outputBacklog: 0,
      outputPaused: false,
      pausingStreams: 0,
      holdingUp: [],
      queuedBytes: 0,
      inboundPaused: false,
      liveSubscriptions: 0,
    };
    return {
      ...actor,
      handshake: this.actor ? 'done' : this.failure ? 'failed' : 'pending',
      waitingStreams: this.waiting?.length ?? 0,
      streamSubscribers: this.listeners,
      readingTransport: this.reader !== undefined && !this.reader.closed,
    };
  }

  /**
   * Graceful stop, first step: new streams are refused with `reason` (CLOSE on their id),
   * open ones go on. Resolves once no stream is open (at once if none is) or the connection ended.
   */
  drain(reason: number = CloseReason.Voluntary): Promise<void> {
    const actor = this.actor;
    if (!actor) return Promise.resolve();
    actor.drain(reason);
    if (actor.streamCount === 0 || actor.isEnded) return Promise.resolve();
    return new Promise((resolve) => this.streamsEmpty$.subscribe({ next: () => resolve(), complete: resolve, error: () => resolve() }));
  }

  /**
   * Closes every stream and the connection, telling the client why (CLOSE on stream 0, ahead
   * of any write still queued). With `keepReceived`, data already received from the client
   * is still delivered to the streams' readers (a relay flushes it to its target) before
   * they complete; otherwise it is dropped.
   */
  async close(reason: number = CloseReason.Voluntary, { keepReceived = false }: { keepReceived?: boolean } = {}): Promise<void> {
    if (this.actor) this.actor.shutdown(reason, keepReceived);
    else this.transport.close(1000, 'wisp server closing');
    await firstValueFrom(this.closed$).catch(() => undefined);
  }
}
