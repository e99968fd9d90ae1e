/** The harness of the net-mux conformance rows: what a row gets, and frame helpers (version 1). */
import type { MuxEnd } from '../../lib/core/settings';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { YamuxFlag, YamuxType, encodeControl, encodeData } from '../../lib/yamux/frame';
import { YamuxReason, type YamuxConfig } from '../../lib/yamux/config';
import type { YamuxSession } from '../../lib/yamux/session';
import { within } from '../support/within';
import { until, type RawPeer } from './helpers';

export interface Harness {
  readonly session: YamuxSession;
  readonly peer: RawPeer;
  readonly incoming: MuxStream[];
  readonly end: Promise<MuxEnd>;
  readonly errors: string[];
  /** Waits until the peer has seen `frame` (`Type FLAGS id length`). */
  saw(frame: string): Promise<void>;
  /** Sends a Ping and waits for its reply: everything sent before it has been handled. */
  settle(): Promise<void>;
}

export interface Row {
  readonly ref: string;
  readonly rule: string;
  /** wisp-rx does otherwise, on purpose; the row checks what it does. */
  readonly differs?: string;
  readonly role?: 'client' | 'server';
  readonly config?: YamuxConfig;
  /** The session's streams$ is taken (so streams are accepted and ACKed) unless false. */
  readonly accept?: boolean;
  run(h: Harness): Promise<void>;
}

export const syn = (id: number, payload?: Uint8Array): Uint8Array => encodeData(1, YamuxFlag.Syn, id, payload);
export const data = (id: number, n: number, flags = 0): Uint8Array => encodeData(1, flags, id, new Uint8Array(n).fill(7));
export const goAway = (code: number): Uint8Array => encodeControl(1, YamuxType.GoAway, 0, 0, code);
export const header = (type: number, flags: number, id: number, length: number, version = 1): Uint8Array => {
  const frame = encodeControl(1, YamuxType.Ping, 0, 0, 0);
  frame[0] = version;
  frame[1] = type;
  frame[2] = flags >>> 8;
  frame[3] = flags & 0xff;
  new DataView(frame.buffer).setUint32(4, id);
  new DataView(frame.buffer).setUint32(8, length);
  return frame;
};
export const fatal = async (h: Harness, code: number = YamuxReason.ProtocolError): Promise<void> => {
  await within(h.end, 5000, 'the session ending');
  await h.saw(`GoAway - 0 ${code}`);
  await until(() => h.peer.closed(), 5000, 'the transport closing');
};

