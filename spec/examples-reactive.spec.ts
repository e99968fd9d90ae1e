/**
 * Marble tests of examples/reactive.ts with the user-facing testing kit (`wisp-rx/testing`):
 * virtual time, streams driven by marble diagrams, no connection.
 */
import { map, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CloseReason, WispError } from 'wisp-rx';
import { marbleStream, text } from 'wisp-rx/testing';
import { firstAnswer$, type Answer } from '../examples/reactive';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const answerText = (): OperatorFunction<Answer, string> => map(({ index, chunk }: { index: number; chunk: Uint8Array }) => `${index}:${text(chunk)}`);

describe('firstAnswer$ (examples/reactive.ts)', () => {
  it('takes the first chunk from any stream and stops there', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const slow = marbleStream(s, { data: '-----a--|', values: { a: 'slow' } });
      const quick = marbleStream(s, { data: '--a-b|', values: { a: 'quick', b: 'more' } });
      expectObservable(firstAnswer$([slow, quick], 100).pipe(answerText())).toBe('--(x|)', { x: '1:quick' });
    });
  });

  it('a refused stream (closed without data) drops out instead of winning the race', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const refused = marbleStream(s, { data: '-|', closeReason: CloseReason.ConnectionRefused });
      const answering = marbleStream(s, { data: '----a', values: { a: 'pong' } });
      expectObservable(firstAnswer$([refused, answering], 100).pipe(answerText())).toBe('----(x|)', { x: '1:pong' });
      expectObservable(refused.closed$).toBe('-(r|)', { r: CloseReason.ConnectionRefused });
    });
  });

  it('fails with StreamClosed when every stream closes without answering', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const a = marbleStream(s, { data: '-|' });
      const b = marbleStream(s, { data: '---|' });
      expectObservable(firstAnswer$([a, b], 100)).toBe('---#', undefined, new WispError('StreamClosed', 'every target closed without answering'));
    });
  });

  it('fails at the deadline when nobody answers, in virtual time', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const silent = marbleStream(s, { data: '-' });
      expectObservable(firstAnswer$([silent], 5000)).toBe('5000ms #', undefined, new WispError('StreamClosed', 'no answer within 5000 ms'));
    });
  });

  it('passes a dropped connection on as the error', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const dropped = marbleStream(s, { data: '--#', error: new WispError('TransportClosed', 'gone') });
      expectObservable(firstAnswer$([dropped], 100)).toBe('--#', undefined, new WispError('TransportClosed', 'gone'));
    });
  });
});
