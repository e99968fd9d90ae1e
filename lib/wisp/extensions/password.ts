import { WispError } from '../../errors.js';
import { CloseReason } from '../packet/close-reason.js';
import type { ExtensionBuilder, ProtocolExtension, Role } from './extension.js';
import { ExtensionId } from './ids.js';
import { constantTimeEqual, randomBytes, sha256, utf8DecodeStrict, utf8Encode } from './bytes.js';

/** Client side of {@link password}: the credentials to send. */
export interface PasswordCredentials {
  /** At most 255 bytes once UTF-8 encoded. */
  readonly username: string;
  /** At most 65535 bytes once UTF-8 encoded. */
  readonly password: string;
}

/**
 * Checks one username/password pair. Resolve `true` to accept; anything else (including a
 * truthy non-boolean, a throw or a rejection) refuses the connection with 0xc0.
 */
export type PasswordValidator = (username: string, password: string) => boolean | Promise<boolean>;

/** Server side of {@link password}. */
export interface PasswordServerOptions {
  /** Decides whether a client's credentials are valid. See {@link staticUsers}. */
  readonly validate: PasswordValidator;
  /**
   * Whether a client must authenticate (default `true`). When `true`, a client that does
   * not list the extension is refused with AuthRequired (0xc2). When `false`, a client may
   * skip it, but one that does send credentials must still get them right.
   */
  readonly required?: boolean;
}

/** Options of {@link password}: client credentials, or a server validator. */
export type PasswordOptions = PasswordCredentials | PasswordServerOptions;

const USERNAME_MAX = 0xff; // username_len is a u8
const PASSWORD_MAX = 0xffff; // password_len is a u16
const HEADER = 3; // username_len u8 · password_len u16 LE

/**
 * The password authentication extension (0x02).
 *
 * Wire layout (as wisp-js and Rust wisp-mux send it; draft 6's text omits the password
 * length, and the real peers win):
 * - server: `required u8`. An empty payload (older wisp-mux) is read as "not required".
 * - client: `username_len u8 · password_len u16 LE · username · password`, UTF-8.
 *
 * Server behaviour: `authenticate()` resolves `undefined` when the validator resolves
 * `true`, otherwise PasswordInvalid (0xc0). Malformed client metadata makes
 * `decodeMetadata` throw `InvalidExtensionMetadata` carrying `reason: 0xc0`, and a later
 * `authenticate()` on the same instance also answers 0xc0, so the connection is refused
 * with 0xc0 whether or not the handshake looks at the thrown error.
 *
 * @param options `{ username, password }` for a client, `{ validate, required? }` for a server.
 * @throws {WispError} `InvalidArgument` when the username is over 255 bytes or the password
 *   over 65535 bytes (UTF-8), or the options are neither shape. `create(role)` throws
 *   `InvalidArgument` for the role the options are not for.
 */
export function password(options: PasswordOptions): ExtensionBuilder {
  if (isServerOptions(options)) {
    const { validate } = options;
    const required = options.required ?? true;
    return {
      id: ExtensionId.Password,
      create(role: Role): ProtocolExtension {
        if (role !== 'server') throw wrongRole('server', role);
        return serverPassword(validate, required);
      },
    };
  }
  if (!isCredentials(options)) {
    throw new WispError(
      'InvalidArgument',
      'password(options): expected { username, password } (client) or { validate } (server)',
    );
  }
  // Encode and check lengths once, up front, so a bad configuration fails at startup instead
  // of on the first connection.
  const record = encodeCredentials(options.username, options.password);
  return {
    id: ExtensionId.Password,
    create(role: Role): ProtocolExtension {
      if (role !== 'client') throw wrongRole('client', role);
      return clientPassword(record);
    },
  };
}

/**
 * Encodes the client record `username_len u8 · password_len u16 LE · username · password`.
 * @throws {WispError} `InvalidArgument` when a field does not fit its length prefix.
 */
function encodeCredentials(username: string, pass: string): Uint8Array {
  const user = utf8Encode(username);
  const pw = utf8Encode(pass);
  if (user.length > USERNAME_MAX) {
    throw new WispError('InvalidArgument', `password: username is ${user.length} bytes; at most ${USERNAME_MAX} fit`);
  }
  if (pw.length > PASSWORD_MAX) {
    throw new WispError('InvalidArgument', `password: password is ${pw.length} bytes; at most ${PASSWORD_MAX} fit`);
  }
  const out = new Uint8Array(HEADER + user.length + pw.length);
  out[0] = user.length;
  out[1] = pw.length & 0xff;
  out[2] = pw.length >>> 8;
  out.set(user, HEADER);
  out.set(pw, HEADER + user.length);
  return out;
}

/**
 * Decodes the client record. Trailing bytes are refused too: an authentication record
 * should parse one way only.
 * @throws {WispError} `InvalidExtensionMetadata` with `reason` 0xc0.
 */
function decodeCredentials(metadata: Uint8Array): PasswordCredentials {
  if (metadata.length < HEADER) throw malformed(`${metadata.length} bytes, shorter than the 3-byte header`);
  const userLen = metadata[0];
  const pwLen = metadata[1] | (metadata[2] << 8);
  const expected = HEADER + userLen + pwLen;
  if (metadata.length !== expected) {
    throw malformed(`lengths say ${expected} bytes, record has ${metadata.length}`);
  }
  const username = utf8DecodeStrict(metadata.subarray(HEADER, HEADER + userLen));
  const pass = utf8DecodeStrict(metadata.subarray(HEADER + userLen));
  if (username === undefined || pass === undefined) throw malformed('credentials are not valid UTF-8');
  return { username, password: pass };
}

function serverPassword(validate: PasswordValidator, required: boolean): ProtocolExtension {
  // Per-connection state: the client's credentials between decodeMetadata and authenticate.
  let credentials: PasswordCredentials | undefined;
  let malformedRecord = false;
  return {
    id: ExtensionId.Password,
    name: 'password',
    requiredOfPeer: required,
    missingReason: CloseReason.AuthRequired,
    encodeMetadata: () => Uint8Array.of(required ? 1 : 0),
    decodeMetadata(metadata: Uint8Array): void {
      credentials = undefined;
      try {
        credentials = decodeCredentials(metadata);
        malformedRecord = false;
      } catch (err) {
        malformedRecord = true;
        throw err;
      }
    },
    async authenticate(): Promise<number | undefined> {
      if (malformedRecord) return CloseReason.PasswordInvalid;
      // Not reachable through the handshake (authenticate runs only for agreed extensions,
      // whose metadata was decoded); refuse rather than let a caller's bug open the door.
      if (credentials === undefined) return CloseReason.AuthRequired;
      const { username, password: pass } = credentials;
      // Drop the plaintext as soon as it has been checked; the instance lives as long as
      // the connection.
      credentials = undefined;
      try {
        // Strict `=== true`: a validator returning a truthy non-boolean is a bug, not a yes.
        return (await validate(username, pass)) === true ? undefined : CloseReason.PasswordInvalid;
      } catch {
        // A throwing validator (database down, ...) refuses this client instead of crashing
        // the server or, worse, being read as success.
        return CloseReason.PasswordInvalid;
      }
    },
  };
}

function clientPassword(record: Uint8Array): ProtocolExtension {
  return {
    id: ExtensionId.Password,
    name: 'password',
    // The record does not depend on the server's metadata: credentials are sent whether
    // the server says required or optional (it listed the extension, so it accepts them).
    encodeMetadata: () => record,
    // Server metadata is `required u8`, or empty from older wisp-mux. Nothing the client
    // does depends on it, so any payload is accepted.
    decodeMetadata: () => undefined,
  };
}

/**
 * A {@link PasswordValidator} over a fixed table of users.
 *
 * Passwords are compared as SHA-256 digests with a constant-time loop, so the time taken
 * does not reveal how much of a guess was right. An unknown username runs the same digest
 * and comparison against a random stand-in digest, so timing does not reveal which
 * usernames exist either. The table is copied: later changes to the object or map passed
 * in are not seen. Only own entries count (`"constructor"` is not a user of `{}`).
 *
 * @param table username → password, as a plain object or a `Map`.
 */
export function staticUsers(table: Record<string, string> | Map<string, string>): PasswordValidator {
  const entries = table instanceof Map ? [...table] : Object.entries(table);
  // Stored digests are computed once, on first use (WebCrypto is async, so not here).
  let digests: Promise<Map<string, Uint8Array>> | undefined;
  // A stand-in for unknown usernames: random, so no password can match it, and digested
  // like a real entry so that path costs the same.
  let standIn: Promise<Uint8Array> | undefined;
  return async (username: string, pass: string): Promise<boolean> => {
    digests ??= Promise.all(
      entries.map(async ([user, pw]) => [user, await sha256(utf8Encode(pw))] as const),
    ).then((pairs) => new Map(pairs));
    standIn ??= sha256(randomBytes(32));
    const table = await digests;
    const fallback = await standIn; // awaited on both paths, so both take the same turns
    const known = table.get(username);
    const expected = known ?? fallback;
    const given = await sha256(utf8Encode(pass));
    // Evaluate the comparison before looking at `known`, so both paths do the same work.
    const same = constantTimeEqual(given, expected);
    return same && known !== undefined;
  };
}

function isServerOptions(options: PasswordOptions): options is PasswordServerOptions {
  return typeof options === 'object' && options !== null && typeof (options as PasswordServerOptions).validate === 'function';
}

function isCredentials(options: PasswordOptions): options is PasswordCredentials {
  return (
    typeof options === 'object' &&
    options !== null &&
    typeof (options as PasswordCredentials).username === 'string' &&
    typeof (options as PasswordCredentials).password === 'string'
  );
}

function wrongRole(configured: Role, asked: Role): WispError {
  return new WispError('InvalidArgument', `password: configured for the ${configured}, cannot create a ${asked} instance`);
}

function malformed(detail: string): WispError {
  return new WispError('InvalidExtensionMetadata', `password: malformed client metadata (${detail})`, {
    reason: CloseReason.PasswordInvalid,
  });
}
