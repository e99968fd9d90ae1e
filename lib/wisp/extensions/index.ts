/**
 * The protocol extensions wisp-rx implements, as builders to pass to a client or server
 * multiplexer, plus their ids, option types and key helpers.
 * @packageDocumentation
 */
export type { ExtensionBuilder, ExtensionContext, ProtocolExtension, Role } from './extension.js';
export { ExtensionId } from './ids.js';
export { udp } from './udp.js';
export { streamConfirmation } from './stream-confirmation.js';
export { motd, isMotdExtension, type MotdBuilder, type MotdExtension } from './motd.js';
export {
  password,
  staticUsers,
  type PasswordCredentials,
  type PasswordOptions,
  type PasswordServerOptions,
  type PasswordValidator,
} from './password.js';
export {
  keyAuth,
  generateKeyPair,
  publicKeyFromPrivate,
  parsePublicKey,
  parsePrivateKey,
  type KeyAuthClientOptions,
  type KeyAuthOptions,
  type KeyAuthServerOptions,
  type KeyPair,
} from './key-auth.js';
