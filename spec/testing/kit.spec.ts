/** The testing kit itself (`wisp-rx/testing`): marble streams and the in-memory pair. */
import { firstValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { WispError, isWispError } from '../../lib/errors';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import { byteValues, bytes, echoStream, marbleStream, memoryMuxPair, text, type MarbleStream } from '../../lib/testing';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('marbleStream', () => {
  it('delivers the diagram as bytes and reports the close reason at |', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const stream = marbleStream(s, { data: '-a-b-|', values: { a: 'he', b: bytes('llo') } });
      expectObservable(stream.data$.pipe(map(text))).toBe('-a-b-|', { a: 'he', b: 'llo' });
      expectObservable(stream.closed$).toBe('-----(r|)', { r: CloseReason.Voluntary });
    });
  });

  it('a letter without a value is its own text', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      expectObservable(marbleStream(s, { data: 'xy|' }).data$.pipe(map(text))).toBe('xy|', { x: 'x', y: 'y' });
    });
  });

  it('# errors data$ and closed$ with TransportClosed by default', () => {
    const s = scheduler();
    s.run(({ expectObservable }) => {
      const stream = marbleStream(s, { data: '-a#' });
      const error = new WispError('TransportClosed', 'the connection dropped (marble #)');
      expectObservable(stream.data$.pipe(map(text))).toBe('-a#', { a: 'a' }, error);
      expectObservable(stream.closed$).toBe('--#', undefined, error);
    });
  });

  it('records writes with their frames; close() ends data$ and rejects later writes', () => {
    const s = scheduler();
    let stream: MarbleStream | undefined;
    s.run(({ expectObservable }) => {
      const under = marbleStream(s, { data: '-a--------b' });
      stream = under;
      // The code under test: answers each chunk, closes after the first.
      under.data$.subscribe({
        next: (chunk) => {
          void under.write(bytes(`re:${text(chunk)}`));
          under.close(CloseReason.Voluntary);
        },
        error: () => undefined,
      });
      expectObservable(under.writes$.pipe(map(text))).toBe('-(w|)', { w: 're:a' });
      expectObservable(under.closed$).toBe('-(r|)', { r: CloseReason.Voluntary });
    });
    expect(stream?.closedWith).toBe(CloseReason.Voluntary);
    const late = marbleStream(s, { data: '|' });
    late.close(CloseReason.NetworkError);
    return expect(late.write(bytes('x'))).rejects.toMatchObject({ code: 'StreamAlreadyClosed' });
  });

  it('byteValues and text round-trip', () => {
    expect(text(Object.values(byteValues({ a: 'hé', b: 'llo' })))).toBe('héllo');
  });
});

describe('memoryMuxPair', () => {
  it('connects a client to a server in memory; echoStream echoes', async () => {
    const pair = await memoryMuxPair({ onStream: echoStream });
    try {
      expect(pair.client.version.major).toBe(2);
      const stream = await pair.client.open('tcp', 'echo.test', 7, { awaitConfirmation: true });
      const reply = firstValueFrom(stream.data$);
      await stream.write(bytes('ping'));
      expect(text(await reply)).toBe('ping');
      stream.close();
    } finally {
      await pair.close();
    }
  });

  it('speaks v1 when asked, and passes server options through', async () => {
    const pair = await memoryMuxPair({ v2: false });
    try {
      expect(pair.client.version.major).toBe(1);
      const open = pair.client.open('tcp', 'example.com', 80);
      const incoming = await firstValueFrom(pair.server.streams$);
      expect(incoming.connect).toMatchObject({ kind: 'tcp', host: 'example.com', port: 80 });
      incoming.stream.close(CloseReason.HostBlocked);
      const stream = await open;
      expect(await firstValueFrom(stream.closed$)).toBe(CloseReason.HostBlocked);
      await expect(firstValueFrom(stream.data$.pipe(toArray()))).rejects.toMatchObject({ code: 'StreamClosed', reason: CloseReason.HostBlocked });
    } finally {
      await pair.close();
    }
  });

  it('close() ends both ends', async () => {
    const pair = await memoryMuxPair();
    await pair.close();
    const error: unknown = await pair.client.open('tcp', 'x', 1).catch((e: unknown) => e);
    expect(isWispError(error)).toBe(true);
  });
});
