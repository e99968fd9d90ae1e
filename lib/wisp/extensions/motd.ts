import { WispError } from '../../errors.js';
import type { ExtensionBuilder, ProtocolExtension, Role } from './extension.js';
import { ExtensionId } from './ids.js';
import { utf8Encode } from './bytes.js';

// Lenient on purpose (no `fatal`): the MOTD is display text only, so a server sending bad
// UTF-8 should cost a U+FFFD in the message, not the whole connection.
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The per-connection instance of the MOTD extension (0x04). Get it from a multiplexer with
 * `mux.extension(ExtensionId.Motd)` and narrow it with {@link isMotdExtension}.
 */
export interface MotdExtension extends ProtocolExtension {
  readonly id: typeof ExtensionId.Motd;
  /**
   * Client: the server's message, once its INFO has been read (`undefined` before that).
   * Server: the message this server sends.
   */
  readonly message: string | undefined;
}

/** An {@link ExtensionBuilder} whose instances are {@link MotdExtension}s. */
export interface MotdBuilder extends ExtensionBuilder {
  readonly id: typeof ExtensionId.Motd;
  create(role: Role): MotdExtension;
}

/**
 * The server message-of-the-day extension (0x04). Server metadata is the UTF-8 message;
 * client metadata is empty.
 *
 * @param message Required on the server (`create('server')` throws `InvalidArgument`
 *   without it); omitted on the client, which exposes the text it receives as
 *   {@link MotdExtension.message}.
 */
export function motd(message?: string): MotdBuilder {
  return {
    id: ExtensionId.Motd,
    create(role: Role): MotdExtension {
      if (role === 'server') {
        if (typeof message !== 'string') {
          throw new WispError('InvalidArgument', 'motd(message): a server needs a message to send');
        }
        return serverMotd(message);
      }
      return clientMotd();
    },
  };
}

/** True when `ext` is the MOTD extension's instance, so `ext.message` can be read. */
export function isMotdExtension(ext: ProtocolExtension | undefined): ext is MotdExtension {
  return ext !== undefined && ext.id === ExtensionId.Motd && 'message' in ext;
}

function serverMotd(message: string): MotdExtension {
  // Encode once per connection; the message is fixed per builder.
  const bytes = utf8Encode(message);
  return {
    id: ExtensionId.Motd,
    name: 'motd',
    message,
    encodeMetadata: () => bytes,
    // The client's payload is defined as empty; anything else is ignored, not refused.
    decodeMetadata: () => undefined,
  };
}

function clientMotd(): MotdExtension {
  let received: string | undefined;
  return {
    id: ExtensionId.Motd,
    name: 'motd',
    get message() {
      return received;
    },
    encodeMetadata: () => new Uint8Array(0),
    decodeMetadata(metadata: Uint8Array): void {
      received = lenientDecoder.decode(metadata);
    },
  };
}
