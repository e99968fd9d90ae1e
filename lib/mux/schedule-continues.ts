import { Observable, type OperatorFunction } from 'rxjs';
import { ReceiveWindow } from './receive-window.js';

/** One step seen by a server stream's receive window. */
export type WindowEvent = 'received' | 'consumed' | 'confirmed';

/**
 * The server's CONTINUE policy as an operator: maps a stream's receive/consume events to
 * the CONTINUE values it sends, and errors with `'throttled'` when the client overruns its
 * credit. The actor runs the same {@link ReceiveWindow} directly (no operator per packet);
 * this form exists so the policy can be checked with marble tests.
 */
export function scheduleContinues(bufferSize: number): OperatorFunction<WindowEvent, number> {
  return (source$) =>
    new Observable<number>((subscriber) => {
      const window = new ReceiveWindow(bufferSize);
      return source$.subscribe({
        next(event) {
          if (event === 'received') {
            if (!window.receive()) subscriber.error('throttled');
            const value = window.grant();
            if (value >= 0) subscriber.next(value);
          } else if (event === 'consumed') {
            const value = window.consume(1);
            if (value >= 0) subscriber.next(value);
          } else {
            subscriber.next(window.confirmation());
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
