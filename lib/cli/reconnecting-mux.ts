/**
 * One shared ClientMux that comes back when the server goes away: reconnects with
 * exponential backoff (100 ms doubling to 10 s, reset on success), while callers that
 * need it wait a bounded time.
 * @module
 */
import { WispError, isWispError } from '../errors.js';
import type { ClientMux } from '../mux/client-mux.js';
import type { MuxEnd } from '../mux/actor.js';
import type { MuxStream } from '../mux/stream.js';
import type { StreamKind } from '../mux/stream-record.js';
import type { Logger } from '../server/logger.js';
import { describeError } from './client-options.js';

/** Options of {@link ReconnectingMux}. */
export interface ReconnectOptions {
  /** Opens a new connection (completes the handshake). */
  readonly connect: () => Promise<ClientMux>;
  readonly logger: Logger;
  /** First delay after a loss. Default 100 ms. */
  readonly minDelayMs?: number;
  /** Largest delay between attempts. Default 10,000 ms. */
  readonly maxDelayMs?: number;
}

interface Waiter {
  resolve(mux: ClientMux): void;
  reject(error: Error): void;
}

/** A ClientMux that is replaced when it ends. Call {@link start} once, then {@link open}. */
export class ReconnectingMux {
  private current: ClientMux | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private delayMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: ReconnectOptions) {
    this.minDelayMs = options.minDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.delayMs = this.minDelayMs;
  }

  /** Makes the first connection; rejects (without retrying) when it fails. */
  async start(): Promise<ClientMux> {
    const mux = await this.options.connect();
    this.adopt(mux);
    return mux;
  }

  /** The live connection, or the next one if it comes within `waitMs`; rejects otherwise. */
  get(waitMs: number): Promise<ClientMux> {
    if (this.current) return Promise.resolve(this.current);
    if (this.stopped) return Promise.reject(new WispError('MuxClosed', 'the forward is stopping'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (mux) => (clearTimeout(timer), resolve(mux)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new WispError('MuxClosed', `not connected to the server (waited ${waitMs} ms)`));
      }, waitMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Opens a stream on the live connection, waiting up to `waitMs` for one. A connection that
   * ends between the wait and the open is retried once on the next.
   */
  async open(kind: StreamKind, host: string, port: number, waitMs: number): Promise<MuxStream> {
    try {
      return await (await this.get(waitMs)).open(kind, host, port);
    } catch (error) {
      if (!isWispError(error, 'MuxClosed') || this.stopped) throw error;
      return (await this.get(waitMs)).open(kind, host, port);
    }
  }

  /** Stops reconnecting, fails the waiters, and closes the live connection. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiters) waiter.reject(new WispError('MuxClosed', 'the forward is stopping'));
    this.waiters.clear();
    const mux = this.current;
    this.current = undefined;
    await mux?.close();
  }

  private adopt(mux: ClientMux): void {
    this.current = mux;
    this.delayMs = this.minDelayMs;
    for (const waiter of this.waiters) waiter.resolve(mux);
    this.waiters.clear();
    const lost = (end: MuxEnd): void => {
      if (this.current !== mux) return;
      this.current = undefined;
      if (this.stopped) return;
      this.options.logger.warn(`connection lost${end.error ? `: ${end.error.code}` : ''}; reconnecting`);
      this.schedule();
    };
    mux.closed$.subscribe({ next: lost, error: (error: WispError) => lost({ error }) });
  }

  private schedule(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(2 * delay, this.maxDelayMs);
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    try {
      const mux = await this.options.connect();
      if (this.stopped) return void mux.close();
      this.options.logger.info('reconnected');
      this.adopt(mux);
    } catch (error) {
      if (this.stopped) return;
      this.options.logger.warn(`reconnect failed (${describeError(error)}); next try in ${this.delayMs} ms`);
      this.schedule();
    }
  }
}
