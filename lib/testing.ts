/**
 * wisp-rx/testing — helpers for testing code that uses wisp-rx. Universal (no Node
 * built-ins), like `wisp-rx` itself:
 *
 * - {@link memoryMuxPair}: a real client and server connected in memory, for integration
 *   tests without sockets ({@link echoStream} is a ready-made server handler);
 * - {@link marbleStream}: a stream whose received data is a marble diagram, for testing
 *   your reactive code on `data$` / `closed$` with RxJS's `TestScheduler`;
 * - {@link bytes}, {@link text}, {@link byteValues}: text ↔ bytes for values and assertions.
 * @packageDocumentation
 */
export { memoryMuxPair, echoStream, type MemoryMuxPair, type MemoryMuxPairOptions } from './testing/memory-pair.js';
export { marbleStream, type MarbleStream, type MarbleStreamOptions, type StreamLike } from './testing/marble-stream.js';
export { bytes, text, byteValues } from './testing/bytes.js';
export { memoryTransportPair, dropMemoryTransport, type MemoryTransportOptions } from './transport/memory.js';
