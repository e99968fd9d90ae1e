import { lastValueFrom, toArray } from 'rxjs';
import { messageBytes, type TransportMessage } from '../../lib/transport/transport';
import { Inbox } from '../../lib/transport/inbox';
import { WispError } from '../../lib/errors';
import { failTest } from '../observers';

const msg = (n: number) => new Uint8Array([n]);
const values = (messages: TransportMessage[]) => messages.map((m) => messageBytes(m)[0]);

function setup() {
  const flow: boolean[] = [];
  const inbox = new Inbox((flowing) => flow.push(flowing));
  return { inbox, flow };
}

describe('Inbox (shared by the socket transports)', () => {
  it('holds messages that arrive before the first subscription and delivers them in order', async () => {
    const { inbox, flow } = setup();
    inbox.push(msg(1));
    inbox.push(msg(2));
    expect(flow).toEqual([]); // never asked the socket to read yet
    const all = lastValueFrom(inbox.messages$.pipe(toArray()));
    expect(flow).toEqual([true]);
    inbox.push(msg(3));
    inbox.end();
    expect(values(await all)).toEqual([1, 2, 3]);
  });

  it('stops the socket while paused or unsubscribed, and resumes it', () => {
    const { inbox, flow } = setup();
    const subscription = inbox.messages$.subscribe();
    inbox.pause();
    inbox.resume();
    subscription.unsubscribe();
    expect(flow).toEqual([true, false, true, false]);
  });

  it('delivers nothing while paused, then everything on resume', async () => {
    const { inbox } = setup();
    const seen: number[] = [];
    inbox.messages$.subscribe({ next: (m) => seen.push(messageBytes(m)[0]), error: failTest });
    await Promise.resolve();
    inbox.pause();
    inbox.push(msg(1));
    inbox.push(msg(2));
    await Promise.resolve();
    expect(seen).toEqual([]);
    inbox.resume();
    inbox.push(msg(3)); // arrives before the held ones are flushed: must queue behind them
    await Promise.resolve();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('completes only after held messages are delivered on a clean end', async () => {
    const { inbox } = setup();
    inbox.pause();
    const all = lastValueFrom(inbox.messages$.pipe(toArray()));
    inbox.push(msg(1));
    inbox.end();
    inbox.push(msg(2)); // after the end: ignored
    inbox.resume();
    expect(values(await all)).toEqual([1]);
  });

  it('errors promptly on failure even while paused, dropping held messages', () => {
    const { inbox, flow } = setup();
    const seen: number[] = [];
    let error: unknown;
    inbox.messages$.subscribe({ next: (m) => seen.push(messageBytes(m)[0]), error: (e: unknown) => (error = e) });
    inbox.pause();
    inbox.push(msg(1));
    inbox.fail(new WispError('TransportError', 'boom'));
    expect(error).toMatchObject({ code: 'TransportError' });
    expect(seen).toEqual([]);
    expect(flow[flow.length - 1]).toBe(true); // keep reading so the close handshake can finish
  });

  it('keeps a failure for a reader that subscribes later', async () => {
    const { inbox } = setup();
    inbox.fail(new WispError('TextFrame', 'text'));
    await expect(lastValueFrom(inbox.messages$)).rejects.toMatchObject({ code: 'TextFrame' });
  });

  it('rejects a second concurrent reader', async () => {
    const { inbox } = setup();
    inbox.messages$.subscribe();
    await expect(lastValueFrom(inbox.messages$)).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('lets the reader pause from inside next without losing or reordering messages', async () => {
    const { inbox } = setup();
    const seen: number[] = [];
    inbox.messages$.subscribe({
      next: (m) => {
        seen.push(messageBytes(m)[0]);
        if (messageBytes(m)[0] === 2) inbox.pause();
      },
      error: failTest,
    });
    for (let i = 1; i <= 4; i++) inbox.push(msg(i));
    await Promise.resolve();
    expect(seen).toEqual([1, 2]);
    inbox.resume();
    await Promise.resolve();
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('discards messages after the transport starts closing but delivers held ones', async () => {
    const { inbox } = setup();
    inbox.pause();
    const all = lastValueFrom(inbox.messages$.pipe(toArray()));
    inbox.push(msg(1));
    inbox.stopAccepting();
    inbox.push(msg(2));
    inbox.end();
    inbox.resume();
    expect(values(await all)).toEqual([1]);
  });
});
