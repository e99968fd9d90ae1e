#!/usr/bin/env node
// Opens one stream through a Wisp server, sends a line and prints what comes back.
// Run: node build/examples/echo-client.js ws://127.0.0.1:4001/ [message]
import { firstValueFrom } from 'rxjs';
import { ClientMux, isWispError } from 'wisp-rx/node';

/** Sends `message` on one stream and resolves to the text echoed back. */
export async function echoOnce(url: string, message: string, { host = 'echo.invalid', port = 7 } = {}): Promise<string> {
  const mux = await ClientMux.connect(url);
  try {
    const stream = await mux.open('tcp', host, port);
    const reply = firstValueFrom(stream.data$); // subscribe before writing
    await stream.write(new TextEncoder().encode(message));
    const text = new TextDecoder().decode(await reply);
    stream.close();
    return text;
  } finally {
    await mux.close();
  }
}

if (require.main === module) {
  echoOnce(process.argv[2] ?? 'ws://127.0.0.1:4001/', process.argv[3] ?? 'hello, wisp').then(
    (text) => console.log(text),
    (error: unknown) => {
      console.error(isWispError(error) ? `${error.code}: ${error.message}` : String(error));
      process.exitCode = 1;
    },
  );
}
