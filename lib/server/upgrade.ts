import type { Duplex } from 'node:stream';
import { WISP_V2_PROTOCOL } from '../mux/negotiated.js';

/**
 * The subprotocol answered to an upgrade. Browsers and `ws` abort a connection whose offered
 * subprotocols were all ignored, and epoxy-tls always offers a random one, so one of the
 * offered is always selected: `wisp-v2` when present (echoed even in v1-only mode, as wisp-js
 * does; the v1 handshake then shows up on the client as a downgrade), otherwise the first.
 * The mux runs v2 only when the selected one is `wisp-v2`.
 */
export function selectProtocol(offered: ReadonlySet<string>): string | false {
  if (offered.has(WISP_V2_PROTOCOL)) return WISP_V2_PROTOCOL;
  for (const protocol of offered) return protocol;
  return false;
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
  socket.on('error', () => undefined);
}
