/**
 * A tiny authoritative DNS responder on 127.0.0.1 for tests: answers A and AAAA queries from
 * a table (with TTLs), NXDOMAIN for other names, and counts the queries it got.
 */
import * as dgram from 'node:dgram';
import { isIPv4 } from 'node:net';

export interface Records {
  [name: string]: { readonly addresses: readonly string[]; readonly ttl: number };
}

export interface DnsResponder {
  readonly server: string; // 127.0.0.1:PORT
  readonly queries: { name: string; type: number }[];
  records: Records;
  close(): Promise<void>;
}

export async function startDnsResponder(records: Records): Promise<DnsResponder> {
  const socket = dgram.createSocket('udp4');
  const responder: DnsResponder = {
    server: '',
    queries: [],
    records,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (query, from) => {
    const { name, end, type } = readQuestion(query);
    responder.queries.push({ name, type });
    const entry = responder.records[name.toLowerCase()];
    const wanted = (entry?.addresses ?? []).filter((a) => (type === 1 ? isIPv4(a) : type === 28 ? !isIPv4(a) : false));
    const answers = wanted.map((address) => answer(type, entry.ttl, address));
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | 0x0100 | 0x0080 | (entry ? 0 : 3), 2); // response, AA, RD, RA; NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, query.subarray(12, end), ...answers]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return Object.assign(responder, { server: `127.0.0.1:${socket.address().port}` });
}

function readQuestion(query: Buffer): { name: string; end: number; type: number } {
  const labels: string[] = [];
  let at = 12;
  while (query[at] !== 0) {
    const length = query[at];
    labels.push(query.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  at += 1;
  return { name: labels.join('.'), type: query.readUInt16BE(at), end: at + 4 };
}

function answer(type: number, ttl: number, address: string): Buffer {
  const data = type === 1 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  const record = Buffer.alloc(12);
  record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  record.writeUInt16BE(type, 2);
  record.writeUInt16BE(1, 4); // IN
  record.writeUInt32BE(ttl, 6);
  record.writeUInt16BE(data.length, 10);
  return Buffer.concat([record, data]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  return bytes;
}
