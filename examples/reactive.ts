#!/usr/bin/env node
// Streams are Observables, so RxJS composes them: ask several services the same question at
// once, take whichever answers first, and give up after a deadline. A target that refuses
// (its stream closes without data) simply drops out; only when every one does, or none
// answers in time, is there no answer. A refusal errors the stream's data$ with the wire
// reason (`StreamClosed`); catchError turns that into "no answer from this one".
// Run (a gateway that may dial loopback, then two local targets, e.g. an echo service on 7):
//   node bin/wisp-rx.js serve --allow-loopback &
//   node build/examples/reactive.js ws://127.0.0.1:4000/ 127.0.0.1:7 127.0.0.1:7007
import { EMPTY, catchError, firstValueFrom, map, merge, take, throwError, throwIfEmpty, timeout, type Observable } from 'rxjs';
import { ClientMux, WispError, isWispError, type StreamReader } from 'wisp-rx/node';

/** The first answer: which stream (by index) and its first chunk. */
export interface Answer {
  readonly index: number;
  readonly chunk: Uint8Array;
}

/**
 * The first chunk any of `streams` receives. Errors with `WispError('StreamClosed')` when
 * every stream closed without answering, or when none answered within `deadlineMs`.
 * Pure RxJS over `data$`, so it is marble-testable with `wisp-rx/testing`.
 */
export function firstAnswer$(streams: readonly Pick<StreamReader, 'data$'>[], deadlineMs: number): Observable<Answer> {
  // merge, not race: race() is also won by the first source to *complete*, so a refused
  // target (its data$ ends empty once its refusal is caught) would win with no answer.
  const answers = streams.map((stream, index) =>
    stream.data$.pipe(
      map((chunk) => ({ index, chunk })),
      catchError((error: unknown) => (isWispError(error, 'StreamClosed') ? EMPTY : throwError(() => error))),
    ),
  );
  return merge(...answers).pipe(
    take(1),
    throwIfEmpty(() => new WispError('StreamClosed', 'every target closed without answering')),
    timeout({ first: deadlineMs, with: () => throwError(() => new WispError('StreamClosed', `no answer within ${deadlineMs} ms`)) }),
  );
}

/** The result of {@link firstAnswer}. */
export interface FirstAnswer {
  readonly winner: readonly [string, number];
  readonly answer: string;
}

/** Opens one stream per target, sends `question` on each, and resolves to the first answer. */
export async function firstAnswer(url: string, targets: readonly (readonly [string, number])[], question: string, { deadlineMs = 5000 } = {}): Promise<FirstAnswer> {
  const mux = await ClientMux.connect(url);
  try {
    const streams = await Promise.all(targets.map(([host, port]) => mux.open('tcp', host, port)));
    const answer = firstValueFrom(firstAnswer$(streams, deadlineMs)); // subscribe before writing
    const bytes = new TextEncoder().encode(question);
    // A refused stream may close before or during its write: that target just drops out.
    await Promise.all(streams.map((stream) => stream.write(bytes).catch(() => undefined)));
    const { index, chunk } = await answer;
    for (const stream of streams) stream.close();
    return { winner: targets[index], answer: new TextDecoder().decode(chunk) };
  } finally {
    await mux.close();
  }
}

/** `HOST:PORT` (or `[IPv6]:PORT`) as a pair. */
export function parseTarget(text: string): [string, number] {
  const at = text.lastIndexOf(':');
  return [text.slice(0, at).replace(/^\[|\]$/g, ''), Number(text.slice(at + 1))];
}

if (require.main === module) {
  const [url = 'ws://127.0.0.1:4000/', ...rest] = process.argv.slice(2);
  firstAnswer(url, rest.map(parseTarget), 'ping\n').then(
    (r) => console.log(`${r.winner.join(':')} answered ${JSON.stringify(r.answer)}`),
    (error: unknown) => {
      console.error(isWispError(error) ? `${error.code}: ${error.message}` : String(error));
      process.exitCode = 1;
    },
  );
}
