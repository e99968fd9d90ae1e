import type { Duplex } from 'node:stream';
import { WispError } from '../errors.js';
import { joinBytes } from '../join-bytes.js';
import type { StreamLike } from './stream-api.js';
import type { DuplexOptions, NodeDuplex } from './duplex-types.js';

export type { DuplexOptions, NodeDuplex } from './duplex-types.js';

type StreamModule = typeof import('node:stream');

/**
 * `node:stream` is fetched at call time through `process.getBuiltinModule` so that this file
 * (reachable from the universal entry point) never imports a Node built-in statically.
 */
function nodeStream(): StreamModule {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:stream') as StreamModule | undefined;
  if (!mod) throw new WispError('Unsupported', 'toDuplex() needs Node.js >= 20.16 (node:stream); use toWebStreams() elsewhere');
  return mod;
}

/**
 * A Node Duplex over a stream with backpressure both ways: `push()` returning false pauses
 * the stream, `_read` resumes it; `_write` completes when the mux has sent the chunk. Ending
 * the writable side ends the stream: a half-close where the protocol has one (the duplex is
 * then half-open and the reply can still be read), a graceful close on Wisp.
 */
export function toDuplex(stream: StreamLike, options: DuplexOptions = {}): NodeDuplex {
  const { Duplex: DuplexClass } = nodeStream();
  let subscription: { unsubscribe(): void } | undefined;
  const duplex: Duplex = new DuplexClass({
    allowHalfOpen: stream.canHalfClose,
    readableHighWaterMark: options.readableHighWaterMark ?? 64 * 1024,
    writableHighWaterMark: options.writableHighWaterMark ?? 64 * 1024,
    read() {
      stream.resume();
    },
    write(chunk: Uint8Array, _encoding, callback) {
      stream.send(chunk, callback);
    },
    // What piled up while a write was on its way goes to the mux as one write (one copy), cut
    // into full frames: Wisp credit counts frames, not bytes, so small ones would waste it.
    writev(chunks: { chunk: Uint8Array }[], callback) {
      stream.send(joinBytes(...chunks.map((c) => c.chunk)), callback);
    },
    final(callback) {
      stream.end();
      callback();
    },
    destroy(error, callback) {
      subscription?.unsubscribe();
      if (!stream.closed) {
        if (error) stream.abort();
        else stream.close();
      }
      callback(error);
    },
  });
  subscription = stream.data$.subscribe({
    next(chunk) {
      if (!duplex.push(chunk)) stream.pause();
    },
    error: (error: unknown) => duplex.destroy(error as Error),
    complete: () => duplex.push(null),
  });
  // NodeDuplex is Duplex itself here: node.ts (its augmentation) is part of this program.
  return duplex;
}
