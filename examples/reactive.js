#!/usr/bin/env node
// Streams are Observables, so RxJS composes them: ask several services the same question at
// once, take whichever answers first, give up after a deadline, and count the bytes that
// arrived on all of them meanwhile.
// Run: node examples/reactive.js ws://127.0.0.1:4000/ 127.0.0.1:7 127.0.0.1:7007
'use strict';
const { firstValueFrom, from, merge, race, timer, map, mergeMap, scan, takeUntil, last, throwError, defaultIfEmpty } = require('rxjs');
const { ClientMux } = require('../dist/cjs/node.js');

/**
 * Opens one stream per target, sends `question` on each, and resolves to
 * { winner, answer, totalBytes } — the first target to answer, its answer, and the bytes
 * received on all streams until then.
 */
async function firstAnswer(url, targets, question, { deadlineMs = 5000 } = {}) {
  const mux = await ClientMux.connect(url);
  try {
    const streams = await Promise.all(targets.map(([host, port]) => mux.open('tcp', host, port)));
    const answers = streams.map((stream, i) => stream.data$.pipe(map((chunk) => ({ winner: targets[i], chunk }))));
    const first$ = race(...answers);
    const deadline$ = timer(deadlineMs).pipe(mergeMap(() => throwError(() => new Error(`no answer within ${deadlineMs} ms`))));
    const winner = firstValueFrom(race(first$, deadline$));
    const totalBytes = firstValueFrom(
      merge(...streams.map((s) => s.data$)).pipe(
        takeUntil(from(winner)),
        scan((n, chunk) => n + chunk.length, 0),
        last(),
        defaultIfEmpty(0),
      ),
    );
    const bytes = new TextEncoder().encode(question);
    await Promise.all(streams.map((s) => s.write(bytes)));
    const { winner: target, chunk } = await winner;
    for (const s of streams) s.close();
    return { winner: target, answer: new TextDecoder().decode(chunk), totalBytes: await totalBytes };
  } finally {
    await mux.close();
  }
}

module.exports = { firstAnswer };

if (require.main === module) {
  const [url = 'ws://127.0.0.1:4000/', ...rest] = process.argv.slice(2);
  const targets = rest.map((t) => {
    const at = t.lastIndexOf(':');
    return [t.slice(0, at), Number(t.slice(at + 1))];
  });
  firstAnswer(url, targets, 'ping\n').then((r) => console.log(`${r.winner.join(':')} answered ${JSON.stringify(r.answer)}`));
}
