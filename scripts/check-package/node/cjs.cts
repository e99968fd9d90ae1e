// A CommonJS module using every entry point; run after compiling.
import wisp = require('wisp-rx');
import node = require('wisp-rx/node');
import testing = require('wisp-rx/testing');
import nodeClient = require('wisp-rx/node-client');

if (node.WispError !== wisp.WispError) throw new Error('wisp-rx/node re-exports another WispError');
if (nodeClient.connectWs !== node.connectWs) throw new Error('wisp-rx/node-client re-exports another connectWs');
const error: unknown = new wisp.WispError('MuxClosed', 'closed');
if (!wisp.isWispError(error, 'MuxClosed')) throw new Error('isWispError failed');
export const used = [node.createGateway, testing.marbleStream, node.ReconnectingClientMux];
console.log('cjs ok');
