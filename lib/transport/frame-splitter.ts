/**
 * Cuts a byte stream into frames of `header + body`, where the header has a fixed size and
 * says how long the body is. Universal (no Node imports): Wisp's length-delimited carrier
 * uses it, and so can any protocol framed the same way (smux, yamux).
 *
 * Copies are kept to what the stream forces: a frame that lies inside one received chunk is
 * handed over as views of that chunk; only a frame cut across chunks is gathered into a new
 * buffer, once. A declared body over `maxBody` is refused before anything is buffered.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';

/** How a protocol's frames are laid out, for {@link FrameSplitter}. */
export interface FrameLayout {
  /** Bytes in every frame's header. */
  readonly headerSize: number;
  /** The body length a header declares (`bytes[at … at + headerSize)` is the header). */
  bodyLength(bytes: Uint8Array, at: number): number;
  /** Largest body accepted; a header declaring more fails the stream with `PacketTooLarge`. */
  readonly maxBody: number;
}

/** Receives each frame: `header` and `body` are views, valid until the handler returns or longer (never reused). */
export type FrameHandler = (header: Uint8Array, body: Uint8Array) => void;

/** Wisp over a byte stream (epoxy-server's carrier): `length u32 LE · packet`. */
export function lengthPrefixLayout(maxBody: number): FrameLayout {
  return { headerSize: 4, bodyLength: (bytes, at) => readU32LE(bytes, at), maxBody };
}

/** The incremental splitter: feed it chunks as they arrive, in order. */
export class FrameSplitter {
  /** A partial frame gathered across chunks (header and body together), or nothing. */
  private partial: Uint8Array | undefined;
  private filled = 0;
  /** Header bytes seen so far when even the header was cut (size `headerSize`). */
  private readonly headerBytes: Uint8Array;
  private headerFilled = 0;

  constructor(
    private readonly layout: FrameLayout,
    private readonly onFrame: FrameHandler,
  ) {
    this.headerBytes = new Uint8Array(layout.headerSize);
  }

  /** Bytes of an unfinished frame held now (0 between frames). */
  get pending(): number {
    return this.partial ? this.filled : this.headerFilled;
  }

  /** Feeds one chunk; calls the handler for every frame it completes. Throws `PacketTooLarge`. */
  push(chunk: Uint8Array): void {
    let at = 0;
    const end = chunk.length;
    const size = this.layout.headerSize;
    if (this.partial || this.headerFilled > 0) at = this.continuePartial(chunk);
    while (at < end) {
      if (end - at < size) {
        this.headerBytes.set(chunk.subarray(at), 0);
        this.headerFilled = end - at;
        return;
      }
      const body = this.bodyLength(chunk, at);
      const total = size + body;
      if (end - at >= total) {
        this.onFrame(chunk.subarray(at, at + size), chunk.subarray(at + size, at + total));
        at += total;
      } else {
        this.partial = new Uint8Array(total);
        this.partial.set(chunk.subarray(at), 0);
        this.filled = end - at;
        return;
      }
    }
  }

  /** Completes a frame begun in earlier chunks; returns where in `chunk` the next one starts. */
  private continuePartial(chunk: Uint8Array): number {
    let at = 0;
    const size = this.layout.headerSize;
    if (!this.partial) {
      const take = Math.min(size - this.headerFilled, chunk.length);
      this.headerBytes.set(chunk.subarray(0, take), this.headerFilled);
      this.headerFilled += take;
      at = take;
      if (this.headerFilled < size) return at;
      this.headerFilled = 0;
      const body = this.bodyLength(this.headerBytes, 0);
      this.partial = new Uint8Array(size + body);
      this.partial.set(this.headerBytes, 0);
      this.filled = size;
    }
    const partial = this.partial;
    const take = Math.min(partial.length - this.filled, chunk.length - at);
    partial.set(chunk.subarray(at, at + take), this.filled);
    this.filled += take;
    at += take;
    if (this.filled === partial.length) {
      this.partial = undefined;
      this.filled = 0;
      this.onFrame(partial.subarray(0, size), partial.subarray(size));
    }
    return at;
  }

  private bodyLength(bytes: Uint8Array, at: number): number {
    const length = this.layout.bodyLength(bytes, at);
    if (length > this.layout.maxBody) {
      throw new WispError('PacketTooLarge', `a frame declares ${length} bytes, over the ${this.layout.maxBody}-byte limit`);
    }
    return length;
  }
}

function readU32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
}
