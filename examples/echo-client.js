#!/usr/bin/env node
// Opens one stream through a Wisp server, sends a line and prints what comes back.
// Run: node examples/echo-client.js ws://127.0.0.1:4001/ [message]
'use strict';
const { firstValueFrom } = require('rxjs');
const { ClientMux } = require('../dist/cjs/node.js');

/** Sends `message` on one stream and resolves to the text echoed back. */
async function echoOnce(url, message, { host = 'echo.invalid', port = 7 } = {}) {
  const mux = await ClientMux.connect(url);
  try {
    const stream = await mux.open('tcp', host, port);
    const bytes = new TextEncoder().encode(message);
    const reply = firstValueFrom(stream.data$); // subscribe before writing
    await stream.write(bytes);
    const text = new TextDecoder().decode(await reply);
    stream.close();
    return text;
  } finally {
    await mux.close();
  }
}

module.exports = { echoOnce };

if (require.main === module) {
  echoOnce(process.argv[2] ?? 'ws://127.0.0.1:4001/', process.argv[3] ?? 'hello, wisp').then(
    (text) => console.log(text),
    (error) => {
      console.error(`${error.code ?? 'error'}: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
