import { firstValueFrom } from 'rxjs';
import { ClientMux } from '../../lib/wisp/client-mux';
import { ServerMux } from '../../lib/wisp/server-mux';
import { memoryTransportPair } from '../../lib/transport/memory';
import { encodeContinue } from '../../lib/wisp/packet/encode';

describe('ServerMux.errors$', () => {
  it('reports errors to a subscriber that came before the v2 handshake finished', async () => {
    const [c, s] = memoryTransportPair({ protocol: 'wisp-v2' });
    const server = ServerMux.accept(s);
    const firstError = firstValueFrom(server.errors$); // subscribed while the handshake runs
    const client = await ClientMux.connect(c);
    expect(client.version.major).toBe(2);
    c.send(encodeContinue(1, 5)); // a CONTINUE sent to a server is a protocol error
    await expect(firstError).resolves.toMatchObject({ code: 'UnexpectedPacket' });
    await client.close();
  });
});
