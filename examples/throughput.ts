#!/usr/bin/env node
// N concurrent streams write zero-filled chunks as fast as credit allows; prints MiB/s.
// Run: node build/examples/throughput.js ws://127.0.0.1:4000/ 127.0.0.1:9 [streams] [MiB per stream]
// (the target must accept and discard data, e.g. a local discard service)
import { ClientMux, isWispError } from 'wisp-rx/node';

/** What {@link measureThroughput} measured. */
export interface Throughput {
  readonly bytes: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
}

/** Sends `mibPerStream` MiB on each of `streams` streams to `target` (HOST:PORT). */
export async function measureThroughput(url: string, target: string, { streams = 4, mibPerStream = 16, chunkSize = 64 * 1024 } = {}): Promise<Throughput> {
  const [host, port] = splitHostPort(target);
  const mux = await ClientMux.connect(url);
  const chunk = new Uint8Array(chunkSize); // zero-filled, reused: the mux copies it into each packet
  const perStream = mibPerStream * 1024 * 1024;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: streams }, async () => {
        const stream = await mux.open('tcp', host, port);
        for (let sent = 0; sent < perStream; sent += chunk.length) await stream.write(chunk);
        stream.close();
      }),
    );
  } finally {
    await mux.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const bytes = streams * perStream;
  return { bytes, seconds, mibPerSecond: bytes / 1024 / 1024 / seconds };
}

function splitHostPort(text: string): [string, number] {
  const at = text.lastIndexOf(':');
  return [text.slice(0, at).replace(/^\[|\]$/g, ''), Number(text.slice(at + 1))];
}

if (require.main === module) {
  const [url = 'ws://127.0.0.1:4000/', target = '127.0.0.1:9', streams = '4', mib = '16'] = process.argv.slice(2);
  measureThroughput(url, target, { streams: Number(streams), mibPerStream: Number(mib) }).then(
    (r) => console.log(`${r.bytes / 1024 / 1024} MiB in ${r.seconds.toFixed(2)} s: ${r.mibPerSecond.toFixed(1)} MiB/s`),
    (error: unknown) => {
      console.error(isWispError(error) ? `${error.code}: ${error.message}` : String(error));
      process.exitCode = 1;
    },
  );
}
