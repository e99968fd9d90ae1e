/**
 * Types of `MuxStream.toDuplex()` that the universal entry point can name without Node's
 * types: a browser project (no `@types/node`) must compile against `wisp-rx`, so the
 * universal declarations never import `node:stream`. `wisp-rx/node` augments
 * {@link NodeStreamTypes}, which turns {@link NodeDuplex} into `node:stream`'s `Duplex`.
 * @module
 */

/** Options for `MuxStream.toDuplex()`. */
export interface DuplexOptions {
  /** Readable high water mark in bytes (default 64 KiB, above Node's 16 KiB, to match packet sizes). */
  readonly readableHighWaterMark?: number;
  /** Writable high water mark in bytes (default 64 KiB). */
  readonly writableHighWaterMark?: number;
}

/**
 * Filled in by the types of `wisp-rx/node` (`{ Duplex: import('node:stream').Duplex }`);
 * empty in a program that only imports `wisp-rx`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- augmented by node.ts
export interface NodeStreamTypes {}

/** What a Node `Duplex` offers in every program, Node types present or not. */
export interface DuplexLike {
  pipe<T>(destination: T, options?: { end?: boolean }): T;
  destroy(error?: Error): this;
}

/**
 * The return type of `MuxStream.toDuplex()`: `node:stream`'s `Duplex` once `wisp-rx/node`
 * is part of the program, {@link DuplexLike} otherwise.
 */
export type NodeDuplex = NodeStreamTypes extends { readonly Duplex: infer D } ? D : DuplexLike;
