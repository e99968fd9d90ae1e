/**
 * nextMacrotask: Node's setImmediate where it exists, else a MessageChannel (browsers have no
 * setImmediate: calling it there broke every busy turn of the inbox in Chromium).
 */
describe('nextMacrotask', () => {
  it('runs tasks in order after the current macrotask, through setImmediate in Node', async () => {
    const { nextMacrotask } = await import('../../lib/transport/macrotask');
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      nextMacrotask(() => order.push('a'));
      nextMacrotask(() => (order.push('b'), resolve()));
    });
    queueMicrotask(() => order.push('microtask'));
    await done;
    expect(order).toEqual(['microtask', 'a', 'b']);
  });

  it('works without setImmediate, as in a browser, through a MessageChannel', async () => {
    const saved = globalThis.setImmediate;
    const Real = globalThis.MessageChannel;
    let channels = 0;
    globalThis.MessageChannel = class extends Real {
      constructor() {
        super();
        channels++;
      }
    };
    (globalThis as { setImmediate?: unknown }).setImmediate = undefined;
    try {
      jest.resetModules(); // a fresh copy of the module, which looks for setImmediate as it loads
      const { nextMacrotask } = await import('../../lib/transport/macrotask');
      const order: number[] = [];
      await new Promise<void>((resolve) => {
        for (let i = 0; i < 3; i++) nextMacrotask(() => order.push(i));
        nextMacrotask(resolve);
      });
      expect(order).toEqual([0, 1, 2]);
      expect(channels).toBe(1);
    } finally {
      globalThis.setImmediate = saved;
      globalThis.MessageChannel = Real;
    }
  });
});
