/** Ports for specs, on 127.0.0.1 only. */
import * as net from 'node:net';

/** A port nothing listens on now (bound, then released): for services a spec starts, or to be refused. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
