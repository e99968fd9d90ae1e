import { WispError } from '../../errors.js';
import { CloseReason } from '../packet/close-reason.js';
import type { ExtensionBuilder, ProtocolExtension, Role } from './extension.js';
import { ExtensionId } from './ids.js';
import { bytesEqual, isBytes, randomBytes, sha256 } from './bytes.js';

// noble's Ed25519 costs a process 0.18 MiB of heap once loaded, and most never sign: load it on
// the first key operation (every one is asynchronous anyway).
type Noble = typeof import('@noble/ed25519');
let noble: Promise<Noble> | undefined;
const ed25519 = (): Promise<Noble> => (noble ??= import('@noble/ed25519'));

/** Client side of {@link keyAuth}. */
export interface KeyAuthClientOptions {
  /** The 32-byte Ed25519 private key seed (RFC 8032), e.g. from {@link parsePrivateKey}. */
  readonly privateKey: Uint8Array;
}

/** Server side of {@link keyAuth}. */
export interface KeyAuthServerOptions {
  /** The 32-byte Ed25519 public keys allowed in (at least one). */
  readonly publicKeys: readonly Uint8Array[];
  /**
   * Whether a client must authenticate (default `true`). When `true`, a client that does
   * not list the extension is refused with AuthRequired (0xc2).
   */
  readonly required?: boolean;
}

/** Options of {@link keyAuth}: a client's private key, or a server's allowed public keys. */
export type KeyAuthOptions = KeyAuthClientOptions | KeyAuthServerOptions;

/** An Ed25519 key pair, 32 raw bytes each. */
export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Bit of the `algorithms` mask (and value of the client's `algorithm` byte) for Ed25519. */
const ALGORITHM_ED25519 = 0x01;
/** 512 bits, as the draft suggests: enough that a challenge never repeats. */
const CHALLENGE_LENGTH = 64;
const KEY_LENGTH = 32;
const HASH_LENGTH = 32; // SHA-256
const SIGNATURE_LENGTH = 64;
const CLIENT_RECORD_LENGTH = 1 + HASH_LENGTH + SIGNATURE_LENGTH;
/** Close reason for a client's unusable key-auth record. */
const REFUSE = CloseReason.SignatureInvalid;

/**
 * The public/private key authentication extension (0x03), Ed25519 only.
 *
 * Wire layout (v2 draft 6):
 * - server: `required u8 · algorithms u8 (bit 0x01 = Ed25519) · challenge` with 64 fresh
 *   random bytes per connection (per `create('server')`);
 * - client: `algorithm u8 (0x01) · sha256(public key) [32] · signature [64]`, the signature
 *   being over exactly the challenge bytes.
 *
 * Server behaviour: `authenticate()` resolves `undefined` when the hash names an allowed key
 * and the signature verifies over this connection's challenge, otherwise SignatureInvalid
 * (0xc1). Malformed client metadata makes `decodeMetadata` throw `InvalidExtensionMetadata`
 * carrying `reason: 0xc1`, and a later `authenticate()` also answers 0xc1. A required
 * extension the client did not list is refused with AuthRequired (0xc2).
 *
 * Client behaviour: `encodeMetadata(serverMetadata)` signs the server's challenge; it throws
 * `InvalidExtensionMetadata` when the server's metadata is missing, too short, or does not
 * offer Ed25519.
 *
 * @throws {WispError} `InvalidArgument` for keys that are not 32 bytes, an empty key list,
 *   or options of neither shape; `create(role)` throws `InvalidArgument` for the other role.
 */
export function keyAuth(options: KeyAuthOptions): ExtensionBuilder {
  if (typeof options === 'object' && options !== null && 'publicKeys' in options) {
    return serverBuilder(options);
  }
  if (typeof options === 'object' && options !== null && 'privateKey' in options) {
    return clientBuilder(options);
  }
  throw new WispError('InvalidArgument', 'keyAuth(options): expected { privateKey } (client) or { publicKeys } (server)');
}

interface AllowedKey {
  readonly publicKey: Uint8Array;
  readonly hash: Uint8Array;
}

function serverBuilder(options: KeyAuthServerOptions): ExtensionBuilder {
  if (!Array.isArray(options.publicKeys) || options.publicKeys.length === 0) {
    // A server with no keys would refuse everyone: almost certainly a configuration mistake.
    throw new WispError('InvalidArgument', 'keyAuth: publicKeys must list at least one key');
  }
  // Copy, so a caller mutating its arrays later cannot change who is allowed in.
  const keys = options.publicKeys.map((key: Uint8Array, i) => new Uint8Array(checkKey(key, `publicKeys[${i}]`)));
  const required = options.required ?? true;
  // Hashes are computed once per builder (not per connection), on first use: WebCrypto is
  // async and a builder is created synchronously.
  let allowed: Promise<readonly AllowedKey[]> | undefined;
  const allowedKeys = (): Promise<readonly AllowedKey[]> =>
    (allowed ??= Promise.all(keys.map(async (publicKey) => ({ publicKey, hash: await sha256(publicKey) }))));
  return {
    id: ExtensionId.KeyAuth,
    create(role: Role): ProtocolExtension {
      if (role !== 'server') throw wrongRole('server', role);
      return serverKeyAuth(required, allowedKeys);
    },
  };
}

function serverKeyAuth(required: boolean, allowedKeys: () => Promise<readonly AllowedKey[]>): ProtocolExtension {
  // Fresh per connection: a signature captured on one connection is useless on another.
  const challenge = randomBytes(CHALLENGE_LENGTH);
  let response: { readonly hash: Uint8Array; readonly signature: Uint8Array } | undefined;
  let malformedRecord = false;
  return {
    id: ExtensionId.KeyAuth,
    name: 'key-auth',
    requiredOfPeer: required,
    missingReason: CloseReason.AuthRequired,
    encodeMetadata(): Uint8Array {
      const out = new Uint8Array(2 + CHALLENGE_LENGTH);
      out[0] = required ? 1 : 0;
      out[1] = ALGORITHM_ED25519;
      out.set(challenge, 2);
      return out;
    },
    decodeMetadata(metadata: Uint8Array): void {
      response = undefined;
      malformedRecord = true;
      if (metadata.length !== CLIENT_RECORD_LENGTH) {
        throw malformed(`client metadata is ${metadata.length} bytes, expected ${CLIENT_RECORD_LENGTH}`, REFUSE);
      }
      if (metadata[0] !== ALGORITHM_ED25519) {
        throw malformed(`client chose algorithm 0x${metadata[0].toString(16)}; only Ed25519 (0x01) is offered`, REFUSE);
      }
      // Copies (`new Uint8Array(view)`, not `.slice()`, which on a Node Buffer is another
      // view): the metadata is a view into the received message.
      response = {
        hash: new Uint8Array(metadata.subarray(1, 1 + HASH_LENGTH)),
        signature: new Uint8Array(metadata.subarray(1 + HASH_LENGTH)),
      };
      malformedRecord = false;
    },
    async authenticate(): Promise<number | undefined> {
      if (malformedRecord) return CloseReason.SignatureInvalid;
      // Not reachable through the handshake (authenticate runs only for agreed extensions,
      // whose metadata was decoded); refuse rather than let a caller's bug open the door.
      if (response === undefined) return CloseReason.AuthRequired;
      const { hash, signature } = response;
      // Key hashes are public, so a plain comparison is fine here.
      for (const key of await allowedKeys()) {
        if (!bytesEqual(key.hash, hash)) continue;
        if (await verifies(signature, challenge, key.publicKey)) return undefined;
      }
      return CloseReason.SignatureInvalid;
    },
  };
}

async function verifies(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  const { verifyAsync } = await ed25519();
  try {
    // zip215: false selects RFC 8032's stricter checks; an authenticator has no reason to
    // accept the edge-case signatures ZIP-215 tolerates for consensus compatibility.
    return await verifyAsync(signature, message, publicKey, { zip215: false });
  } catch {
    // noble throws on encodings it cannot parse (e.g. an invalid point): that is a bad
    // signature, not a server error.
    return false;
  }
}

function clientBuilder(options: KeyAuthClientOptions): ExtensionBuilder {
  const privateKey = new Uint8Array(checkKey(options.privateKey, 'privateKey'));
  // sha256(public key) is the same for every connection: derive it once, on first use.
  let keyHash: Promise<Uint8Array> | undefined;
  const publicKeyHash = (): Promise<Uint8Array> =>
    (keyHash ??= ed25519()
      .then(({ getPublicKeyAsync }) => getPublicKeyAsync(privateKey))
      .then((publicKey) => sha256(publicKey)));
  return {
    id: ExtensionId.KeyAuth,
    create(role: Role): ProtocolExtension {
      if (role !== 'client') throw wrongRole('client', role);
      return {
        id: ExtensionId.KeyAuth,
        name: 'key-auth',
        async encodeMetadata(serverMetadata?: Uint8Array): Promise<Uint8Array> {
          if (serverMetadata === undefined) throw malformed('a client needs the server metadata to answer its challenge');
          const challenge = readServerMetadata(serverMetadata);
          const { signAsync } = await ed25519();
          const [hash, signature] = await Promise.all([publicKeyHash(), signAsync(challenge, privateKey)]);
          const out = new Uint8Array(CLIENT_RECORD_LENGTH);
          out[0] = ALGORITHM_ED25519;
          out.set(hash, 1);
          out.set(signature, 1 + HASH_LENGTH);
          return out;
        },
        decodeMetadata(metadata: Uint8Array): void {
          readServerMetadata(metadata);
        },
      };
    },
  };
}

/**
 * Checks the server's `required u8 · algorithms u8 · challenge` and returns the challenge.
 * Any challenge length is accepted: the client signs what it is given.
 */
function readServerMetadata(metadata: Uint8Array): Uint8Array {
  if (metadata.length < 2) throw malformed(`server metadata is ${metadata.length} bytes, at least 2 needed`);
  if ((metadata[1] & ALGORITHM_ED25519) === 0) {
    throw malformed(`server offers algorithms 0x${metadata[1].toString(16)}, not Ed25519`);
  }
  return metadata.subarray(2);
}

/** Generates a fresh Ed25519 key pair (the private key is 32 random bytes from the platform CSPRNG). */
export async function generateKeyPair(): Promise<KeyPair> {
  const privateKey = randomBytes(KEY_LENGTH);
  const { getPublicKeyAsync } = await ed25519();
  return { privateKey, publicKey: await getPublicKeyAsync(privateKey) };
}

/**
 * The 32-byte Ed25519 public key of a 32-byte private key seed.
 * @throws {WispError} `InvalidArgument` when `privateKey` is not 32 bytes.
 */
export async function publicKeyFromPrivate(privateKey: Uint8Array): Promise<Uint8Array> {
  const seed = checkKey(privateKey, 'privateKey');
  const { getPublicKeyAsync } = await ed25519();
  return getPublicKeyAsync(seed);
}

/**
 * Reads a public key from text (a key file): 64 hex digits or base64 (standard or URL-safe,
 * padding optional) of the 32 raw bytes. Surrounding whitespace is ignored.
 * @throws {WispError} `InvalidArgument` when the text is neither, or is not 32 bytes.
 */
export function parsePublicKey(text: string): Uint8Array {
  return parseKeyText(text, 'public key');
}

/**
 * Reads a private key seed from text (a key file); same formats as {@link parsePublicKey}.
 * @throws {WispError} `InvalidArgument` when the text is neither hex nor base64, or is not 32 bytes.
 */
export function parsePrivateKey(text: string): Uint8Array {
  return parseKeyText(text, 'private key');
}

function parseKeyText(text: string, what: string): Uint8Array {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  // Hex first: 64 hex digits are also valid base64 characters, but base64 of 32 bytes is 43
  // or 44 characters, so there is no real ambiguity.
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    const out = new Uint8Array(KEY_LENGTH);
    for (let i = 0; i < KEY_LENGTH; i++) out[i] = parseInt(trimmed.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  const base64 = trimmed.replace(/-/g, '+').replace(/_/g, '/');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    let binary: string;
    try {
      binary = atob(base64);
    } catch {
      throw new WispError('InvalidArgument', `${what}: not valid hex or base64`);
    }
    if (binary.length === KEY_LENGTH) return Uint8Array.from(binary, (c) => c.charCodeAt(0));
    throw new WispError('InvalidArgument', `${what}: decodes to ${binary.length} bytes, expected ${KEY_LENGTH}`);
  }
  throw new WispError('InvalidArgument', `${what}: expected 64 hex digits or base64 of ${KEY_LENGTH} bytes`);
}

function checkKey(key: Uint8Array, what: string): Uint8Array {
  if (!isBytes(key) || key.length !== KEY_LENGTH) {
    const size = isBytes(key) ? `${key.length} bytes` : typeof key;
    throw new WispError('InvalidArgument', `keyAuth: ${what} must be ${KEY_LENGTH} bytes, got ${size}`);
  }
  return key;
}

function wrongRole(configured: Role, asked: Role): WispError {
  return new WispError('InvalidArgument', `keyAuth: configured for the ${configured}, cannot create a ${asked} instance`);
}

/**
 * `reason` is set only on the server side, where it is the close reason to refuse with; a
 * client rejecting a server's metadata has no auth reason to send.
 */
function malformed(detail: string, reason?: number): WispError {
  return new WispError('InvalidExtensionMetadata', `key-auth: ${detail}`, reason === undefined ? {} : { reason });
}
