// A Node ES module using every entry point; run after compiling.
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { ClientMux, CloseReason, WispError, isWispError, type MuxStream } from 'wisp-rx';
import { createGateway, connectWs, ReconnectingClientMux } from 'wisp-rx/node';
import * as nodeClient from 'wisp-rx/node-client';
import { SmuxSession } from 'wisp-rx/smux';
import { YamuxSession, HASHICORP_YAMUX } from 'wisp-rx/yamux';
import * as node from 'wisp-rx/node';
import { marbleStream, memoryMuxPair, echoStream, bytes, text } from 'wisp-rx/testing';

// toDuplex() is node:stream's Duplex once wisp-rx/node is in the program.
export const asDuplex = (stream: MuxStream): Duplex => stream.toDuplex();
export const used = [ClientMux, createGateway, connectWs, marbleStream, ReconnectingClientMux];

// One copy of every class, whether imported or required.
const required = createRequire(import.meta.url)('wisp-rx') as typeof import('wisp-rx');
if (required.WispError !== WispError) throw new Error('two copies of WispError (dual-package hazard)');
if (!isWispError(new required.WispError('MuxClosed', 'x'))) throw new Error('isWispError fails across entries');
if (nodeClient.connectWs !== connectWs || nodeClient.ClientMux !== ClientMux) throw new Error('wisp-rx/node-client exports other copies');
if ('createGateway' in nodeClient || 'SmuxSession' in nodeClient) throw new Error('wisp-rx/node-client exports the gateway or smux');
if (node.SmuxSession !== SmuxSession || node.YamuxSession !== YamuxSession || HASHICORP_YAMUX.version !== 0) throw new Error('wisp-rx/smux, wisp-rx/yamux: other copies');

const pair = await memoryMuxPair({ onStream: echoStream });
const stream = await pair.client.open('tcp', 'echo.test', 7);
const reply = new Promise<Uint8Array>((resolve, reject) => stream.data$.subscribe({ next: resolve, error: reject }));
await stream.write(bytes('hello'));
if (text(await reply) !== 'hello') throw new Error('echo over memoryMuxPair failed');
stream.close(CloseReason.Voluntary);
await pair.close();
console.log('esm ok');
