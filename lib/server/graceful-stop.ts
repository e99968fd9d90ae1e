/**
 * The gateway's graceful stop, one connection at a time: drain, CLOSE(0), close frame,
 * terminate only what is left after a deadline; and flush what clients sent to targets.
 * @module
 */
import type * as net from 'node:net';
import type { ServerMux } from '../wisp/server-mux.js';
import type { ConnectionHandle } from './connection-handle.js';
import { CloseReason } from '../wisp/packet/close-reason.js';

/** What {@link Gateway.close} did, for the log line and for callers that check. */
export interface StopReport {
  /** Connections open when the stop began. */
  readonly connections: number;
  /** Connections whose WebSocket closed with a close handshake within the deadline. */
  readonly closedCleanly: number;
  /** Connections still there after the deadline: terminated (their client sees 1006). */
  readonly terminated: number;
  /** Target sockets still flushing client data after the deadline: destroyed. */
  readonly targetsCut: number;
}

/** Timings of a stop. */
export interface StopTimes {
  /** How long open streams may run on after the stop begins. */
  readonly graceMs: number;
  /** After CLOSE(0): how long close handshakes and flushes to targets may take. */
  readonly deadlineMs: number;
  /** The reason sent on stream 0 (default Voluntary). */
  readonly reason: number;
}

/** Resolves after `ms`, or when `cancel` is called; never keeps the process alive. */
function delay(ms: number): { done: Promise<void>; cancel: () => void } {
  let cancel = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    cancel = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, cancel };
}

/** Resolves once a target socket has written out everything (ended and flushed) or closed. */
function targetFlushed(socket: net.Socket): Promise<void> {
  if (socket.destroyed || socket.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('finish', () => resolve());
    socket.once('close', () => resolve());
  });
}

/**
 * Stops `connections` gracefully:
 * 1. new streams are refused (Throttled: the client may retry elsewhere), open ones go on
 *    until they end or `graceMs` passes;
 * 2. then CLOSE(0, reason) goes out on each, ahead of every write still queued in its outbox
 *    (those are dropped; only what the WebSocket already buffered, at most its high-water
 *    mark, is ahead of it); data received from the client is kept and flushed to targets;
 * 3. the socket is closed (a WebSocket with a close frame, a byte stream with a FIN); what has not closed within `deadlineMs`
 *    is terminated, and target sockets still flushing are destroyed.
 */
export async function stopConnections(
  connections: ReadonlyMap<ServerMux, ConnectionHandle>,
  targets: ReadonlySet<net.Socket>,
  times: StopTimes,
): Promise<StopReport> {
  const grace = delay(times.graceMs);
  const deadlines: (() => void)[] = [];
  let closedCleanly = 0;
  const one = async (mux: ServerMux, socket: ConnectionHandle): Promise<void> => {
    await Promise.race([mux.drain(CloseReason.Throttled), grace.done]);
    void mux.close(times.reason, { keepReceived: true });
    const deadline = delay(times.deadlineMs);
    deadlines.push(deadline.cancel);
    const closed = socket.closed().then(() => true);
    if (await Promise.race([closed, deadline.done.then(() => false)])) closedCleanly++;
    deadline.cancel();
  };
  const entries = [...connections];
  await Promise.all(entries.map(([mux, socket]) => one(mux, socket)));
  grace.cancel();
  // Client data handed to target sockets is flushed within one more deadline at most.
  const flush = delay(times.deadlineMs);
  const pending = [...targets];
  await Promise.race([Promise.all(pending.map(targetFlushed)), flush.done]);
  flush.cancel();
  let targetsCut = 0;
  for (const target of pending) {
    if (target.destroyed || target.writableFinished) continue;
    targetsCut++;
    target.destroy();
  }
  let terminated = 0;
  for (const [, socket] of entries) {
    if (socket.isClosed()) continue;
    terminated++;
    socket.terminate();
  }
  for (const cancel of deadlines) cancel();
  return { connections: entries.length, closedCleanly, terminated, targetsCut };
}
