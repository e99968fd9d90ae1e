// A CommonJS module using every entry point; run after compiling.
import wisp = require('wisp-rx');
import node = require('wisp-rx/node');
import testing = require('wisp-rx/testing');
import nodeClient = require('wisp-rx/node-client');
import smux = require('wisp-rx/smux');
import yamux = require('wisp-rx/yamux');

if (node.WispError !== wisp.WispError) throw new Error('wisp-rx/node re-exports another WispError');
if (nodeClient.connectWs !== node.connectWs) throw new Error('wisp-rx/node-client re-exports another connectWs');
if (smux.SmuxSession !== node.SmuxSession || yamux.YamuxSession !== node.YamuxSession) throw new Error('wisp-rx/node re-exports other sessions');
const error: unknown = new wisp.WispError('MuxClosed', 'closed');
if (!wisp.isWispError(error, 'MuxClosed')) throw new Error('isWispError failed');
export const used = [node.createGateway, testing.marbleStream, node.ReconnectingClientMux];
console.log('cjs ok');
