/**
 * The frame-splitting operator: turns the chunks of a byte-stream transport (`framing:
 * 'bytes'`) into the frames of a protocol laid out as `header · body`. Universal (no Node
 * imports).
 * @packageDocumentation
 */
import { Observable, type OperatorFunction } from '../rx.js';
import { WispError } from '../errors.js';
import { FrameSplitter, type FrameLayout } from './frame-splitter.js';
import { isSplitMessage, type SplitMessage, type TransportMessage } from './transport.js';

/**
 * Thrown from the frame handler once the output has been unsubscribed, to stop the splitter
 * in the middle of a chunk: a chunk of many small frames would otherwise be walked to its
 * end for nobody. Never escapes {@link frames}.
 */
const STOPPED = new Error('frames: unsubscribed'); // one instance, made once: throwing it allocates nothing

/**
 * Cuts a byte stream into frames: each emission is one frame as `{ head, body }`, where
 * `head` is the `layout.headerSize` header bytes and `body` the body the header declares.
 *
 * Built on {@link FrameSplitter}, so a frame inside one chunk is handed over as views of that
 * chunk (no copy) and only a frame cut across chunks is gathered, once. A
 * {@link SplitMessage} input is fed as its head, then its body (no join). One subscription to
 * the source per subscription to the output, no Promise or subscription per frame.
 *
 * Errors: a header declaring a body over `layout.maxBody` errors the output with
 * `PacketTooLarge` (nothing of it is buffered); a source that completes inside a frame errors
 * it with `TransportClosed`; a source error is passed on as it came. Unsubscribing
 * unsubscribes from the source and stops splitting at once, even mid-chunk.
 */
export function frames(layout: FrameLayout): OperatorFunction<TransportMessage, SplitMessage> {
  return (source$) =>
    new Observable<SplitMessage>((subscriber) => {
      const splitter = new FrameSplitter(layout, (head, body) => {
        subscriber.next({ head, body });
        if (subscriber.closed) throw STOPPED;
      });
      const push = (chunk: Uint8Array): boolean => {
        try {
          splitter.push(chunk);
          return true;
        } catch (error) {
          // The splitter throws only its typed PacketTooLarge (or our STOPPED): rxjs 7 does
          // not rethrow a consumer's error out of `next`, so nothing else can land here.
          if (error !== STOPPED) subscriber.error(error);
          return false;
        }
      };
      return source$.subscribe({
        next: (message) => {
          if (isSplitMessage(message)) {
            if (push(message.head)) push(message.body);
          } else push(message);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          const pending = splitter.pending;
          if (pending === 0) subscriber.complete();
          else subscriber.error(new WispError('TransportClosed', `the stream ended inside a frame (${pending} bytes of it received)`));
        },
      });
    });
}
