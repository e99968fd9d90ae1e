/**
 * Version 1 (net-mux 1.0) has no packaged peer here, so wisp-rx's version 1 is checked
 * against the behaviour written down in /work/shared/net-mux-notes.md, case by case: one row
 * per rule (its section in the notes), each run against a wisp-rx session with a raw peer on
 * the other end of a memory pair. Where wisp-rx deliberately differs, the row says so
 * (`differs`) and checks what wisp-rx does instead.
 */
import { firstValueFrom } from 'rxjs';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { encodePing } from '../../lib/yamux/frame';
import { failTest } from '../observers';
import { sessionWithRawPeer, until } from './helpers';
import type { Row } from './net-mux-harness';
import { OPEN_ROWS } from './net-mux-rows-open';
import { FLOW_ROWS } from './net-mux-rows-flow';

const ROWS: readonly Row[] = [...OPEN_ROWS, ...FLOW_ROWS];

describe('net-mux 1.0 conformance (version 1, against net-mux-notes.md)', () => {
  it.each(ROWS.map((row) => [`${row.ref}: ${row.rule}${row.differs ? ` — differs: ${row.differs}` : ''}`, row] as const))('%s', async (_title, row) => {
    const { session, peer } = await sessionWithRawPeer(row.role ?? 'server', { version: 1, keepalive: false, ...row.config });
    const incoming: MuxStream[] = [];
    const errors: string[] = [];
    session.errors$.subscribe({ next: (e) => errors.push(e.code), error: failTest });
    if (row.accept !== false) session.streams$.subscribe({ next: (s) => incoming.push(s), error: failTest });
    const end = firstValueFrom(session.closed$);
    const saw = (frame: string): Promise<void> => until(() => peer.seen().includes(frame), 5000, `the peer seeing ${frame}`);
    const settle = async (): Promise<void> => {
      peer.send(encodePing(1, 0, 999));
      await saw('Ping ACK 0 999');
    };
    try {
      await row.run({ session, peer, incoming, end, errors, saw, settle });
    } finally {
      session.abort();
    }
  });
});
