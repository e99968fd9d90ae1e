/** The inbox's per-turn budget: no connection, and not all of them together, hold the event loop. */
import { Inbox } from '../../lib/transport/inbox';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function reading(): { inbox: Inbox; flow: boolean[]; got: number[] } {
  const flow: boolean[] = [];
  const got: number[] = [];
  const inbox = new Inbox((flowing) => flow.push(flowing));
  inbox.messages$.subscribe({ next: (m) => got.push((m as Uint8Array)[0]), error: () => undefined });
  return { inbox, flow, got };
}

describe('Inbox turns', () => {
  it('delivers at most 256 messages of one connection per turn, stopping the socket until the next', async () => {
    const { inbox, flow, got } = reading();
    for (let i = 0; i < 600; i++) inbox.push(new Uint8Array([i % 256]));
    expect(got).toHaveLength(256);
    expect(flow).toEqual([true, false]); // the socket is told to stop reading
    await turn();
    expect(got).toHaveLength(512);
    await turn();
    expect(got).toHaveLength(600);
    expect(flow.at(-1)).toBe(true);
  });

  it('shares a budget of 1024 messages per turn between connections, which resume in turn', async () => {
    await turn(); // a fresh turn: the budget is per process
    await turn();
    const inboxes = Array.from({ length: 8 }, () => reading());
    for (const { inbox } of inboxes) for (let i = 0; i < 200; i++) inbox.push(new Uint8Array([1]));
    const delivered = (): number => inboxes.reduce((n, x) => n + x.got.length, 0);
    expect(delivered()).toBe(1024);
    expect(inboxes.slice(0, 5).map((x) => x.got.length)).toEqual([200, 200, 200, 200, 200]);
    expect(inboxes[5].got.length).toBe(24);
    await turn();
    await turn();
    expect(delivered()).toBe(1600);
  });
});
