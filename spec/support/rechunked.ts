import type { Transport } from '../../lib/transport/transport';

/**
 * The same transport as a byte stream whose every message is cut in two at a random point:
 * a protocol's framing must put its frames back together. Members are listed, not spread:
 * `writable` is a getter on the transport's prototype, which a spread would not copy.
 */
export function rechunked(transport: Transport): Transport {
  return {
    messages$: transport.messages$,
    closed$: transport.closed$,
    drain$: transport.drain$,
    get writable() {
      return transport.writable;
    },
    send(message) {
      if (message.length < 2) return transport.send(message);
      const cut = 1 + Math.floor(Math.random() * (message.length - 1));
      transport.send(message.subarray(0, cut));
      return transport.send(message.subarray(cut));
    },
    pause: () => transport.pause(),
    resume: () => transport.resume(),
    close: (code, reason) => transport.close(code, reason),
    protocol: transport.protocol,
    framing: 'bytes',
  };
}
