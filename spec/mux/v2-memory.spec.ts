import { firstValueFrom, type SchedulerLike } from 'rxjs';
import { ClientMux, type ClientMuxOptions } from '../../lib/wisp/client-mux';
import { ServerMux, type ServerMuxOptions } from '../../lib/wisp/server-mux';
import type { MuxStream } from '../../lib/stream/mux-stream';
import { memoryTransportPair } from '../../lib/transport/memory';
import { CloseReason } from '../../lib/wisp/packet/close-reason';
import {
  ExtensionId,
  generateKeyPair,
  keyAuth,
  motd,
  password,
  staticUsers,
  streamConfirmation,
  udp,
  type KeyPair,
} from '../../lib/wisp/extensions/index';
import { collect, concat, echo, pattern, total, track, until, virtualDelivery } from './helpers';
import { failTest } from '../observers';
import { objectContaining } from '../matchers';

function v2(server: ServerMuxOptions = {}, client: ClientMuxOptions = {}, scheduler?: SchedulerLike) {
  const [c, s] = memoryTransportPair({ protocol: 'wisp-v2', ...(scheduler ? { scheduler } : {}) });
  const serverMux = ServerMux.accept(s, server);
  return { server: serverMux, connecting: ClientMux.connect(c, client), clientTransport: c, serverTransport: s };
}

/** Writes `bytes` through an echo server and checks they all come back. */
async function echoes(client: ClientMux, bytes: Uint8Array): Promise<void> {
  const stream = await client.open('tcp', 'echo.test', 7);
  const reader = collect(stream);
  const writing = track(stream.write(bytes)); // not awaited first: a stall should fail `until`, not hang
  await until(() => total(reader.chunks) === bytes.length, 'the echo');
  await writing.promise;
  expect(concat(reader.chunks).equals(Buffer.from(bytes))).toBe(true);
  stream.close();
}

/** Both ends of a refused handshake fail with `code`, and both transports end up closed. */
async function refused(setup: ReturnType<typeof v2>, code: string, reason?: number): Promise<void> {
  await expect(setup.connecting).rejects.toMatchObject({ code });
  await expect(setup.server.ready).rejects.toMatchObject({ code, ...(reason === undefined ? {} : { reason }) });
  // closed$ reports the reason the server refused with (the CLOSE on stream 0 it sent or got).
  expect(await firstValueFrom(setup.server.closed$)).toMatchObject({ error: objectContaining({ code }), ...(reason === undefined ? {} : { reason }) });
  await firstValueFrom(setup.clientTransport.closed$);
  await firstValueFrom(setup.serverTransport.closed$);
}

describe('v2 over memory', () => {
  it('negotiates version, extensions and the MOTD', async () => {
    const setup = v2({ extensions: [udp(), motd('hello, wisp'), streamConfirmation()] });
    const client = await setup.connecting;
    await setup.server.ready;
    expect(client.version).toEqual({ major: 2, minor: 0 });
    expect(client.downgraded).toBe(false);
    expect(client.motd).toBe('hello, wisp');
    expect(client.extensionIds.sort()).toEqual([ExtensionId.Udp, ExtensionId.Motd, ExtensionId.StreamConfirmation]);
    expect(setup.server.version).toEqual({ major: 2, minor: 0 });
    expect(setup.server.extensionIds.sort()).toEqual([ExtensionId.Udp, ExtensionId.Motd, ExtensionId.StreamConfirmation]);
    echo(setup.server);
    await echoes(client, pattern(100));
    await client.close();
  });

  it('is downgraded to v1 when the server is forced to v1', async () => {
    const setup = v2({ v2: false });
    const client = await setup.connecting;
    expect(client.downgraded).toBe(true);
    expect(client.version).toEqual({ major: 1, minor: 0 });
    expect(client.extensionIds).toEqual([]);
    expect(client.motd).toBeUndefined();
    echo(setup.server);
    await echoes(client, pattern(100));
    await client.close();
  });
});

describe('v2 authentication over memory', () => {
  const users = () => password({ validate: staticUsers({ alice: 'secret' }) });

  it('accepts the right password', async () => {
    const setup = v2({ extensions: [users()] }, { extensions: [password({ username: 'alice', password: 'secret' })] });
    const client = await setup.connecting;
    expect(client.extensionIds).toEqual([ExtensionId.Password]);
    echo(setup.server);
    await echoes(client, pattern(10));
    await client.close();
  });

  it('refuses a wrong password with PasswordExtensionCredsInvalid', async () => {
    const setup = v2({ extensions: [users()] }, { extensions: [password({ username: 'alice', password: 'guess' })] });
    await refused(setup, 'PasswordExtensionCredsInvalid', CloseReason.PasswordInvalid);
  });

  it('refuses a client without credentials with AuthRequired', async () => {
    const setup = v2({ extensions: [udp(), users()] }, { extensions: [udp()] });
    await refused(setup, 'AuthRequired', CloseReason.AuthRequired);
  });

  let alice: KeyPair;
  let mallory: KeyPair;
  beforeAll(async () => {
    [alice, mallory] = await Promise.all([generateKeyPair(), generateKeyPair()]);
  });

  it('accepts a known key', async () => {
    const setup = v2({ extensions: [keyAuth({ publicKeys: [alice.publicKey] })] }, { extensions: [keyAuth({ privateKey: alice.privateKey })] });
    const client = await setup.connecting;
    expect(client.extensionIds).toEqual([ExtensionId.KeyAuth]);
    await client.close();
  });

  it('refuses an unknown key with CertAuthExtensionSigInvalid', async () => {
    const setup = v2({ extensions: [keyAuth({ publicKeys: [alice.publicKey] })] }, { extensions: [keyAuth({ privateKey: mallory.privateKey })] });
    await refused(setup, 'CertAuthExtensionSigInvalid', CloseReason.SignatureInvalid);
  });
});

describe('v2 required extensions over memory', () => {
  it('a client requiring an extension the server lacks fails with ExtensionsNotSupported on both ends', async () => {
    const setup = v2({ extensions: [udp()] }, { requiredExtensions: [ExtensionId.Motd] });
    await expect(setup.connecting).rejects.toMatchObject({
      code: 'ExtensionsNotSupported',
      reason: CloseReason.IncompatibleExtensions,
      extensionIds: [ExtensionId.Motd],
    });
    await refused(setup, 'ExtensionsNotSupported', CloseReason.IncompatibleExtensions);
  });

  it('a server requiring an extension the client lacks fails with ExtensionsNotSupported on both ends', async () => {
    const setup = v2({ extensions: [udp(), streamConfirmation()], requiredExtensions: [ExtensionId.Udp] }, { extensions: [streamConfirmation()] });
    await expect(setup.server.ready).rejects.toMatchObject({ code: 'ExtensionsNotSupported', extensionIds: [ExtensionId.Udp] });
    await refused(setup, 'ExtensionsNotSupported', CloseReason.IncompatibleExtensions);
  });
});

describe('v2 stream-open confirmation over memory', () => {
  it('open(..., { awaitConfirmation }) resolves only once the server confirms', async () => {
    const time = virtualDelivery();
    const setup = v2({ bufferSize: 4 }, { maxPayload: 10 }, time.scheduler);
    const client = await time.drive(setup.connecting);
    expect(client.extensionIds).toContain(ExtensionId.StreamConfirmation);
    const incoming = firstValueFrom(setup.server.streams$);
    const opening = track(client.open('tcp', 'slow.test', 80, { awaitConfirmation: true }));
    const { stream: remote } = await time.drive(incoming);
    await time.quiesce(); // nothing in flight: no confirmation is on its way
    expect(opening.settled()).toBe(false);

    remote.confirm();
    const stream = await time.drive(opening.promise);
    // Credit still flows normally after the confirmation: 20 packets through a buffer of 4.
    const received = collect(remote);
    await time.drive(stream.write(pattern(200)));
    await time.quiesce();
    expect(total(received.chunks)).toBe(200);
    await time.drive(client.close());
  });

  it('open(..., { awaitConfirmation }) rejects with StreamClosed and the reason when the server refuses', async () => {
    const setup = v2();
    const client = await setup.connecting;
    setup.server.streams$.subscribe({ next: ({ stream }) => stream.close(CloseReason.ConnectionRefused), error: failTest });
    await expect(client.open('tcp', 'closed.test', 81, { awaitConfirmation: true })).rejects.toMatchObject({
      code: 'StreamClosed',
      reason: CloseReason.ConnectionRefused,
    });
    expect(client.streamCount).toBe(0);
    await client.close();
  });

  it.each([
    ['never confirms', false],
    ['confirms only after reading', true],
  ])('streams keep flowing past the first credit when the server %s', async (_, lateConfirm) => {
    const setup = v2({ bufferSize: 4 }, { maxPayload: 10 });
    const client = await setup.connecting;
    expect(client.extensionIds).toContain(ExtensionId.StreamConfirmation);
    setup.server.streams$.subscribe({
      next: ({ stream }: { stream: MuxStream }) => {
        void (async () => {
          let n = 0;
          for await (const chunk of stream) {
            if (lateConfirm && ++n === 6) stream.confirm();
            await stream.write(chunk);
          }
        })().catch(() => undefined);
      },
      error: failTest,
    });
    await echoes(client, pattern(200)); // 20 packets, 5 times the buffer
    await client.close();
  });
});
