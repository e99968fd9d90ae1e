/**
 * A stand-in for a `MuxStream` whose received data is a marble diagram, for marble-testing
 * reactive code that consumes wisp-rx streams (`data$`, `closed$`, `write`, `close`) with
 * RxJS's `TestScheduler`: virtual time, no connection, no sockets.
 * @module
 */
import { Observable, ReplaySubject, Subject, takeUntil, tap } from '../rx.js';
import type { TestScheduler } from 'rxjs/testing';
import { WispError } from '../errors.js';
import { CloseReason } from '../wisp/packet/close-reason.js';
import type { StreamLike as ViewableStream } from '../stream/stream-api.js';
import { byteValues } from './bytes.js';

/** The parts of a `MuxStream` that {@link marbleStream} provides: a reader and a writer. */
/** The stream surface a marble stream offers: what `MuxStream` offers (see `StreamReader`, `StreamWriter`). */
export type StreamLike = ViewableStream;

/** Options of {@link marbleStream}. */
export interface MarbleStreamOptions {
  /**
   * What the peer sends, as a marble diagram: each letter is a chunk from `values`, `|` is
   * the peer closing the stream (with {@link closeReason}), `#` the connection dropping
   * (`data$` and `closed$` error with {@link error}).
   */
  readonly data: string;
  /** Chunks by letter; strings are UTF-8 encoded. A letter without a value is its own text. */
  readonly values?: Readonly<Record<string, string | Uint8Array>>;
  /** Reason `closed$` reports at `|`. Default `CloseReason.Voluntary`. */
  readonly closeReason?: number;
  /** Error for `#`. Default `WispError('TransportClosed')`, as a dropped connection gives. */
  readonly error?: unknown;
  /**
   * Hot (`^` marks subscription time; late subscribers miss chunks, as with a real stream)
   * or cold (each subscriber sees the diagram from frame 0). Default hot.
   */
  readonly hot?: boolean;
}

/** A {@link StreamLike} driven by a marble diagram; see {@link marbleStream}. */
export interface MarbleStream extends StreamLike {
  /** Every chunk passed to `write` or `send`, in order. */
  readonly written: readonly Uint8Array[];
  /** Emits each chunk as it is written: `expectObservable(stream.writes$)`. */
  readonly writes$: Observable<Uint8Array>;
  /** Reason given to `close()`, when the code under test closed the stream. */
  readonly closedWith: number | undefined;
  /** True once `pause()` was called and not yet followed by `resume()`. */
  readonly paused: boolean;
}

/**
 * Builds a {@link MarbleStream} on `scheduler`. Call it inside `scheduler.run(...)` (or
 * with a scheduler whose `flush()` you call), like any marble Observable.
 *
 * Semantics follow `MuxStream`: `data$` completes when the peer closes (`|`) or the code
 * under test calls `close()`, and `closed$` then emits the reason once and completes.
 * `write()` resolves at once (there is no credit in virtual time); writes after the close
 * reject with `StreamAlreadyClosed`.
 *
 * @example
 * ```ts
 * scheduler.run(({ expectObservable }) => {
 *   const stream = marbleStream(scheduler, { data: '-a-b-|', values: { a: 'he', b: 'llo' } });
 *   expectObservable(stream.data$.pipe(map(text))).toBe('-a-b-|', { a: 'he', b: 'llo' });
 *   expectObservable(stream.closed$).toBe('-----(r|)', { r: CloseReason.Voluntary });
 * });
 * ```
 */
export function marbleStream(scheduler: TestScheduler, options: MarbleStreamOptions): MarbleStream {
  const letters = new Set(options.data.replace(/[-\s|#^()!]|\d+(ms|s|m)/g, ''));
  const values = byteValues({ ...Object.fromEntries([...letters].map((l) => [l, l])), ...options.values });
  const error = options.error ?? new WispError('TransportClosed', 'the connection dropped (marble #)');
  const source$: Observable<Uint8Array> = options.hot === false
    ? scheduler.createColdObservable(options.data, values, error)
    : scheduler.createHotObservable(options.data, values, error);
  return new MarbleStreamImpl(source$, options.closeReason ?? CloseReason.Voluntary);
}

class MarbleStreamImpl implements MarbleStream {
  readonly data$: Observable<Uint8Array>;
  readonly closed$: Observable<number>;
  readonly written: Uint8Array[] = [];
  private readonly writesSubject$ = new Subject<Uint8Array>();
  readonly writes$ = this.writesSubject$.asObservable();
  closedWith: number | undefined;
  paused = false;
  private readonly closedSubject$ = new ReplaySubject<number>(1);
  private readonly localClose$ = new Subject<void>();
  private ended = false;

  constructor(source$: Observable<Uint8Array>, peerReason: number) {
    this.closed$ = this.closedSubject$.asObservable();
    this.data$ = source$.pipe(
      tap({
        complete: () => this.finish(peerReason),
        error: (error: unknown) => this.fail(error),
      }),
      // Last, so that a local close() ends data$ without counting as the peer's close.
      takeUntil(this.localClose$),
    );
  }

  write(chunk: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.send(chunk, (error) => (error ? reject(error) : resolve())));
  }

  send(chunk: Uint8Array, callback?: (error?: WispError) => void): void {
    if (this.ended) {
      callback?.(new WispError('StreamAlreadyClosed', 'the stream is closed'));
      return;
    }
    this.written.push(chunk);
    this.writesSubject$.next(chunk);
    callback?.();
  }

  /** Every write completes at once here: nothing is ever left to flush. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** No half-close in virtual time: ending is closing, as on Wisp. */
  readonly canHalfClose = false;

  end(callback?: (error?: Error) => void): void {
    this.close(undefined, callback);
  }

  close(reason: number = CloseReason.Voluntary, callback?: (error?: Error) => void): void {
    if (!this.ended) {
      this.closedWith = reason;
      this.finish(reason);
      this.localClose$.next();
    }
    callback?.();
  }

  abort(reason: number = CloseReason.NetworkError): void {
    this.close(reason);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    throw new WispError('Unsupported', 'marble streams run in virtual time: use data$, not for await');
  }

  /** Local close or the peer's `|`: the first one counts, as on a real stream. */
  private finish(reason: number): void {
    if (this.ended) return;
    this.ended = true;
    this.closedSubject$.next(reason);
    this.closedSubject$.complete();
    this.writesSubject$.complete();
  }

  private fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.closedSubject$.error(error);
    this.writesSubject$.complete();
  }
}
