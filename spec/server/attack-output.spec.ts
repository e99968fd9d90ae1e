/**
 * Refused-CONNECT floods against the gateway: every CONNECT makes the gateway queue a CLOSE.
 * A client that does not read must slow only itself (reading pauses, memory stays bounded)
 * and be cut with Throttled; a client that reads must get every reply.
 */
import { createGateway, type Gateway } from '../../lib/server/gateway';
import { ConnectFlooder, LogLines, memoryMiB } from './attack-helpers';

const BATCH = 20_000;
let gateway: Gateway | undefined;
const flooders: ConnectFlooder[] = [];

afterEach(async () => {
  for (const f of flooders.splice(0)) f.terminate();
  await gateway?.close({ graceMs: 0 });
  gateway = undefined;
});

async function start(log: LogLines, options = {}): Promise<Gateway> {
  // Loopback targets are refused by the default policy: every CONNECT gets CLOSE(HostBlocked).
  gateway = await createGateway({ port: 0, logger: log, ...options });
  return gateway;
}

describe('gateway under a refused-CONNECT flood', () => {
  it('a client that never reads is paused, stays within a memory bound, and is closed with Throttled', async () => {
    const log = new LogLines();
    const gw = await start(log, { outputStallTimeoutMs: 1500 });
    const before = memoryMiB();
    const flooder = await ConnectFlooder.connect(gw.url, 9, false);
    flooders.push(flooder);
    // 100 batches (2,000,000 CONNECTs, ~46 MB on the wire) is more than the kernel's socket
    // buffers hold, so the flooder can send them all only if the gateway reads on regardless
    // (it would then queue ~1.4 GB of CLOSEs: the loop stops at the first reading over the bound).
    let batches = 0;
    const throttled = log.waitFor(/closed \(Throttled \(0x49\)\)/, 20_000);
    let peak = 0;
    const sample = (): void => void (peak = Math.max(peak, memoryMiB().total - before.total));
    for (; batches < 100; batches++) {
      const written = await Promise.race([flooder.batch(BATCH), throttled.then(() => false)]);
      sample();
      if (!written || peak >= 48) break;
    }
    expect(peak).toBeLessThan(48);
    await throttled;
    sample();
    expect(batches).toBeLessThan(100); // the gateway stopped reading: the flooder could not send them all
    expect(peak).toBeLessThan(48);
    expect(gw.stats().connections).toBe(0);
  }, 30_000);

  it('a client that reads gets a reply to every CONNECT, and memory stays bounded', async () => {
    const log = new LogLines();
    const gw = await start(log);
    const before = memoryMiB();
    const flooder = await ConnectFlooder.connect(gw.url, 9, true);
    flooders.push(flooder);
    let peak = 0;
    let worstLag = 0;
    for (let i = 0; i < 10; i++) {
      expect(await flooder.batch(BATCH)).toBe(true);
      worstLag = Math.max(worstLag, flooder.sent - flooder.replies);
      peak = Math.max(peak, memoryMiB().total - before.total);
    }
    const deadline = Date.now() + 15_000;
    while (flooder.replies < flooder.sent && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(flooder.replies).toBe(flooder.sent);
    expect(peak).toBeLessThan(48);
    // How far replies fell behind is printed, not asserted: in one process with the kernel's
    // loopback buffers it says more about scheduling than about the gateway.
    expect(worstLag).toBeGreaterThanOrEqual(0);
  }, 30_000);
});
