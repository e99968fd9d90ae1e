// Browser code: the universal entry and the testing kit, with no Node types in the program.
import { ClientMux, CloseReason, isWispError, type MuxStream } from 'wisp-rx';
import { marbleStream, memoryMuxPair, bytes } from 'wisp-rx/testing';
import { SmuxSession, type SmuxConfig } from 'wisp-rx/smux';
import { YamuxSession, type YamuxConfig } from 'wisp-rx/yamux';

export async function fetchOnce(url: string): Promise<number> {
  const mux = await ClientMux.connect(url);
  const stream: MuxStream = await mux.open('tcp', 'example.com', 80);
  const { readable, writable } = stream.toWebStreams();
  await writable.getWriter().write(bytes('GET / HTTP/1.0\r\n\r\n'));
  const { value } = await readable.getReader().read();
  stream.close(CloseReason.Voluntary);
  return value?.length ?? 0;
}
export const used = [isWispError, marbleStream, memoryMuxPair, SmuxSession, YamuxSession];
export const configs: [SmuxConfig, YamuxConfig] = [{ version: 2 }, { version: 1 }];
