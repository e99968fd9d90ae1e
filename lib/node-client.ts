/**
 * wisp-rx/node-client — the Node entry point for programs that only open streams: everything
 * from the universal entry plus the Node transports (`ws`, TCP, TLS, length-delimited). It
 * loads no gateway and no smux or yamux: less heap than `wisp-rx/node`, which matters to a
 * small process (docs/architecture.md, "Heap baseline and V8's marking threshold").
 * `wisp-rx/node` exports all of this too.
 *
 * Importing this module makes `ClientMux.connect(url)` use `ws` by default.
 * @packageDocumentation
 */
import { setDefaultConnector } from './transport/default-connector.js';
import { connectLengthDelimited, isLengthDelimitedUrl } from './transport/length-delimited.js';
import { connectWs } from './transport/ws.js';

export * from './index.js';
export { wsTransport, connectWs, type WsTransportOptions, type ConnectWsOptions } from './transport/ws.js';
export {
  duplexTransport,
  connectTcp,
  connectTls,
  DEFAULT_CLOSE_DEADLINE_MS,
  type DuplexTransportOptions,
  type ConnectTcpOptions,
  type ConnectTlsOptions,
} from './transport/duplex-transport.js';
export {
  lengthDelimitedTransport,
  connectLengthDelimited,
  isLengthDelimitedUrl,
  DEFAULT_MAX_LENGTH_DELIMITED_PACKET,
  type LengthDelimitedOptions,
  type ConnectLengthDelimitedOptions,
} from './transport/length-delimited.js';

// ws:// and wss:// go over `ws`; tcp:// and unix: carry Wisp length-delimited (v1).
setDefaultConnector((url, protocols) => (isLengthDelimitedUrl(url) ? connectLengthDelimited(url) : connectWs(url, protocols)));

// Where Node is, `MuxStream.toDuplex()` is typed as the real `node:stream` Duplex.
declare module './stream/duplex-types.js' {
  interface NodeStreamTypes {
    readonly Duplex: import('node:stream').Duplex;
  }
}
